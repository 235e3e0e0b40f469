package orders

// TopicNoticed carries a marketplace's notification of a change to some of
// its orders (a Notice) from the webhook to the worker, which reads those
// orders again from the marketplace and takes them in as a pull does.
const TopicNoticed = "orders.noticed"

// NoticeRef names what a marketplace's notification is about: the
// shipment, or else the orders or order items it names.
type NoticeRef struct {
	ShipmentID   string   `json:"shipment_id,omitempty"`
	OrderIDs     []string `json:"order_ids,omitempty"`
	OrderItemIDs []string `json:"order_item_ids,omitempty"`
}

// Notice is one verified notification, queued: the channel it came for,
// its event's identity and type, and what to read again.
type Notice struct {
	ChannelID string    `json:"channel_id"`
	EventID   string    `json:"event_id"`
	EventType string    `json:"event_type"`
	Ref       NoticeRef `json:"ref"`
}
