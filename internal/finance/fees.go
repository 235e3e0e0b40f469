package finance

import (
	"slices"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/civil"
)

// Slab is a fixed fee for items up to a value (inclusive); the last slab
// may have UpToPaise 0, meaning any value above the others.
type Slab struct {
	UpToPaise int64 `json:"up_to_paise"`
	FeePaise  int64 `json:"fee_paise"`
}

// FeeSchedule is what one channel charges from a day, for one category
// (a craft) or, with Category empty, for all of them. Its days are plain
// days in India (YYYY-MM-DD): from the start of EffectiveFrom until the
// start of EffectiveTo, in India's time zone.
type FeeSchedule struct {
	ID               string      `json:"id"`
	ChannelID        string      `json:"channel_id"`
	Category         string      `json:"category"`
	EffectiveFrom    civil.Date  `json:"effective_from"`
	EffectiveTo      *civil.Date `json:"effective_to"`
	CommissionBP     int64       `json:"commission_bp"`
	FixedFeeSlabs    []Slab      `json:"fixed_fee_slabs"`
	CollectionFeeBP  int64       `json:"collection_fee_bp"`
	ShippingFeePaise int64       `json:"shipping_fee_paise"`
	// CommissionWaivedUntil is a promotional waiver: orders placed before
	// this day pay no commission (e.g. the first six months of a programme).
	CommissionWaivedUntil *civil.Date `json:"commission_waived_until"`
	CreatedAt             time.Time   `json:"created_at"`
}

// Validate refuses a schedule that cannot be applied.
func (f *FeeSchedule) Validate() error {
	fe := apperr.FieldErrors{}
	f.Category = strings.TrimSpace(f.Category)
	if strings.TrimSpace(f.ChannelID) == "" {
		fe.Add("channel_id", "is required")
	}
	if f.EffectiveFrom.IsZero() {
		fe.Add("effective_from", "is required: the first day the fees apply, as YYYY-MM-DD")
	}
	if f.EffectiveTo != nil && !f.EffectiveTo.After(f.EffectiveFrom) {
		fe.Add("effective_to", "must be after effective_from")
	}
	for field, bp := range map[string]int64{"commission_bp": f.CommissionBP, "collection_fee_bp": f.CollectionFeeBP} {
		if bp < 0 || bp > 10000 {
			fe.Add(field, "must be between 0 and 10000 basis points")
		}
	}
	if f.ShippingFeePaise < 0 || f.ShippingFeePaise > 10_000_000 {
		fe.Add("shipping_fee_paise", "must be between 0 and 10000000")
	}
	if len(f.FixedFeeSlabs) > 20 {
		fe.Add("fixed_fee_slabs", "at most 20 slabs")
	}
	for i, s := range f.FixedFeeSlabs {
		if s.FeePaise < 0 || s.UpToPaise < 0 || (s.UpToPaise == 0 && i != len(f.FixedFeeSlabs)-1) ||
			(i > 0 && s.UpToPaise != 0 && s.UpToPaise <= f.FixedFeeSlabs[i-1].UpToPaise) {
			fe.Add("fixed_fee_slabs", "slabs go up in value, fees are >= 0, and only the last may be open-ended (up_to_paise 0)")
			break
		}
	}
	return fe.Err()
}

// applies says whether the schedule covers a line of craft ordered at t.
func (f FeeSchedule) applies(craft string, t time.Time) bool {
	return (f.Category == "" || f.Category == craft) && !t.Before(f.EffectiveFrom.Start()) && (f.EffectiveTo == nil || t.Before(f.EffectiveTo.Start()))
}

// Pick returns the schedule for a line: one for its craft before one for
// all crafts, the latest effective first.
func Pick(schedules []FeeSchedule, craft string, orderedAt time.Time) (FeeSchedule, bool) {
	var found []FeeSchedule
	for _, s := range schedules {
		if s.applies(craft, orderedAt) {
			found = append(found, s)
		}
	}
	if len(found) == 0 {
		return FeeSchedule{}, false
	}
	slices.SortFunc(found, func(a, b FeeSchedule) int {
		if (a.Category == "") != (b.Category == "") {
			if a.Category != "" {
				return -1
			}
			return 1
		}
		return b.EffectiveFrom.Compare(a.EffectiveFrom)
	})
	return found[0], true
}

// Components are what a sale of one order line becomes in a settlement.
type Components struct {
	GrossPaise         int64 `json:"gross_paise"`
	CommissionPaise    int64 `json:"commission_paise"`
	FixedFeePaise      int64 `json:"fixed_fee_paise"`
	CollectionFeePaise int64 `json:"collection_fee_paise"`
	ShippingFeePaise   int64 `json:"shipping_fee_paise"`
	GSTOnFeesPaise     int64 `json:"gst_on_fees_paise"`
	TCSPaise           int64 `json:"tcs_paise"`
	TDSPaise           int64 `json:"tds_paise"`
	NetPaise           int64 `json:"net_paise"`
}

// Fees is the fees without GST.
func (c Components) Fees() int64 {
	return c.CommissionPaise + c.FixedFeePaise + c.CollectionFeePaise + c.ShippingFeePaise
}

// Rates that changed by notification (RELIABILITY.md 3; the finance issue).
var (
	tcsCut = time.Date(2024, 7, 10, 0, 0, 0, 0, IST) // GST s.52 TCS: 1% before, 0.5% from
	tdsCut = time.Date(2024, 10, 1, 0, 0, 0, 0, IST) // income-tax s.194-O TDS: 1% before, 0.1% from
)

// GSTOnFeesBP is the GST marketplaces charge on their fees.
const GSTOnFeesBP = 1800

// IST is India Standard Time; tax dates are Indian dates.
var IST = time.FixedZone("IST", 5*3600+1800)

// TCSRateBP and TDSRateBP are the rates in force on a date.
func TCSRateBP(t time.Time) int64 {
	if t.Before(tcsCut) {
		return 100
	}
	return 50
}

func TDSRateBP(t time.Time) int64 {
	if t.Before(tdsCut) {
		return 100
	}
	return 10
}

// Expected is what a marketplace should settle for a sale of gross paise
// (tax-inclusive, at gstRateBP) ordered at orderedAt and settled on
// settledOn: fees by the schedule, 18% GST on them, TCS and TDS on the
// value net of GST at the rates of the settlement date.
func Expected(s FeeSchedule, gross, gstRateBP int64, orderedAt, settledOn time.Time) Components {
	c := Components{GrossPaise: gross}
	if s.CommissionWaivedUntil == nil || !orderedAt.Before(s.CommissionWaivedUntil.Start()) {
		c.CommissionPaise = BasisPoints(gross, s.CommissionBP)
	}
	for _, slab := range s.FixedFeeSlabs {
		if slab.UpToPaise == 0 || gross <= slab.UpToPaise {
			c.FixedFeePaise = slab.FeePaise
			break
		}
	}
	c.CollectionFeePaise = BasisPoints(gross, s.CollectionFeeBP)
	c.ShippingFeePaise = s.ShippingFeePaise
	c.GSTOnFeesPaise = BasisPoints(c.Fees(), GSTOnFeesBP)
	taxable := TaxableValue(gross, gstRateBP)
	c.TCSPaise = BasisPoints(taxable, TCSRateBP(settledOn))
	c.TDSPaise = BasisPoints(taxable, TDSRateBP(settledOn))
	c.NetPaise = gross - c.Fees() - c.GSTOnFeesPaise - c.TCSPaise - c.TDSPaise
	return c
}

// TaxableValue is a tax-inclusive amount without its GST, to the paisa.
func TaxableValue(gross, gstRateBP int64) int64 {
	parts, _ := Allocate(gross, []int64{10000, gstRateBP})
	if gstRateBP == 0 {
		return gross
	}
	return parts[0]
}
