package auth

// Permission names one thing a caller may do.
type Permission string

const (
	ClustersRead   Permission = "clusters:read"
	ClustersWrite  Permission = "clusters:write"
	ArtisansRead   Permission = "artisans:read"
	ArtisansWrite  Permission = "artisans:write"
	ProductsRead   Permission = "products:read"
	ProductsWrite  Permission = "products:write"
	LocationsRead  Permission = "locations:read"
	LocationsWrite Permission = "locations:write"
	StockRead      Permission = "stock:read"
	StockWrite     Permission = "stock:write"
	UsersRead      Permission = "users:read"
	UsersWrite     Permission = "users:write"
	AuditRead      Permission = "audit:read"
	JobsRead       Permission = "jobs:read"
	// JobsAdmin opens the job queue console (asynqmon); no role but admin
	// is granted it.
	JobsAdmin      Permission = "jobs:admin"
	ChannelsRead   Permission = "channels:read"
	ChannelsWrite  Permission = "channels:write"
	ListingsRead   Permission = "listings:read"
	ListingsWrite  Permission = "listings:write"
	ExceptionsRead Permission = "exceptions:read"
	ExceptionsWork Permission = "exceptions:resolve"
	OrdersWrite    Permission = "orders:write"
	OrdersRead     Permission = "orders:read"
	TasksRead      Permission = "fulfilment:read"
	TasksWork      Permission = "fulfilment:work"
	CounterSales   Permission = "showroom-sales:write"
	FinanceRead    Permission = "finance:read"
	FinanceWrite   Permission = "finance:write"
	// Reconcile starts and reads reconciliations (operations).
	Reconcile Permission = "reconciliations:run"
)

// showroomReads is what the showroom reads, which operations reads too
// (API.md, "Roles").
var showroomReads = []Permission{ClustersRead, ArtisansRead, ProductsRead, LocationsRead, StockRead, ListingsRead, ChannelsRead, OrdersRead}

// grants is the one permission table (API.md, "Roles"). Admin is granted
// everything in Allowed; every other role has exactly what is listed here.
var grants = map[Role][]Permission{
	// Showroom staff publish listings, so they read the channels they pick.
	RoleShowroom: append([]Permission{
		ClustersWrite, ArtisansWrite, ProductsWrite, StockWrite, ListingsWrite, TasksRead, TasksWork, CounterSales,
	}, showroomReads...),
	RoleOperations: append([]Permission{JobsRead, ExceptionsRead, ExceptionsWork, OrdersWrite, TasksRead, TasksWork, Reconcile}, showroomReads...),
	// Finance reads artisans (payees) and the products their earnings come
	// from; it does not see stock or change the catalogue.
	// Finance also works the exceptions its settlements raise.
	RoleFinance: {ArtisansRead, ProductsRead, ClustersRead, ChannelsRead, OrdersRead, FinanceRead, FinanceWrite, ExceptionsRead, ExceptionsWork},
}

var table = func() map[Role]map[Permission]bool {
	t := make(map[Role]map[Permission]bool, len(grants))
	for role, perms := range grants {
		t[role] = make(map[Permission]bool, len(perms))
		for _, p := range perms {
			t[role][p] = true
		}
	}
	return t
}()

// Allowed reports whether role may use permission p. The empty permission
// (an operation nobody gave a rule) is refused to every role, admin included.
func Allowed(role Role, p Permission) bool {
	if p == "" || !role.Valid() {
		return false
	}
	if role == RoleAdmin {
		return true
	}
	return table[role][p]
}
