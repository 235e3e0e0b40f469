// Package channels holds the marketplaces the corporation sells on: where
// each one's API is, whether sync is on, its credentials (sealed, never
// shown back), its settings and its health.
package channels

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	jsonpatch "github.com/evanphx/json-patch/v5"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/audit"
	"github.com/jkhhc/artisanbridge/internal/clock"
	"github.com/jkhhc/artisanbridge/internal/effects"
	"github.com/jkhhc/artisanbridge/internal/ids"
)

var Kinds = []string{"flipkart", "amazon", "gem"}

// Channel is one marketplace account.
type Channel struct {
	ID             string   `json:"id"`
	Kind           string   `json:"kind"`
	Name           string   `json:"name"`
	BaseURL        string   `json:"base_url"`
	TokenURL       string   `json:"token_url"`
	Enabled        bool     `json:"enabled"`
	CredentialsSet bool     `json:"credentials_set"`
	Settings       Settings `json:"settings"`
	// Effective is the settings as they apply (defaults filled in).
	Effective EffectiveSettings `json:"effective_settings"`
	Health    Health            `json:"health"`
	Version   int64             `json:"version"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

// Settings are a channel's tunables. A setting that is absent (null) takes
// its default; an explicit 0 is 0 (a return window of 0 days makes an
// earning payable as soon as the marketplace settles).
type Settings struct {
	// DispatchDays is the dispatch time promised to the marketplace
	// (absent: DefaultDispatchDays).
	DispatchDays *int `json:"dispatch_days,omitempty"`
	// ReturnWindowDays is how long buyers may return a delivered piece;
	// an artisan's earning becomes payable only after it (absent:
	// DefaultReturnWindowDays).
	ReturnWindowDays *int `json:"return_window_days,omitempty"`
	// SettlementDays is how long after dispatch the marketplace should
	// have paid (Flipkart 7 to 15 business days by tier; GeM 10 days
	// after the receipt certificate); later lines are overdue (absent:
	// DefaultSettlementDays).
	SettlementDays *int `json:"settlement_days,omitempty"`
	// Locations are the stock locations this channel sells from, with the
	// marketplace's id for each (required by Flipkart).
	Locations []LocationMap `json:"locations"`
	// NotificationURL is the address the marketplace was given for its
	// order notifications (Flipkart signs it into every notification), as
	// the marketplace reaches it: behind a proxy, its public HTTPS URL
	// (absent: the address each notification arrived at).
	NotificationURL *string `json:"notification_url,omitempty"`
}

// LocationMap maps one of our locations to the marketplace's.
type LocationMap struct {
	LocationID         string `json:"location_id"`
	ExternalLocationID string `json:"external_location_id"`
}

// Health says whether sync works, for operations (API.md).
type Health struct {
	LastSuccessAt     *time.Time `json:"last_success_at"`
	LastError         string     `json:"last_error"`
	LastErrorAt       *time.Time `json:"last_error_at"`
	QueueDepth        int64      `json:"queue_depth"`
	CallsLastHour     int64      `json:"calls_last_hour"`
	ThrottledLastHour int64      `json:"throttled_last_hour"`
}

// Defaults of the settings.
const (
	DefaultDispatchDays     = 3
	DefaultReturnWindowDays = 10
	DefaultSettlementDays   = 15
)

// File is a file an assisted channel (GeM) produced for staff to upload
// to the marketplace's portal, described without its content.
type File struct {
	ID          string    `json:"id"`
	ChannelID   string    `json:"channel_id"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	SizeBytes   int64     `json:"size_bytes"`
	Items       int64     `json:"items"`
	CreatedAt   time.Time `json:"created_at"`
}

// Update is the body of PATCH /channels/{id}. Credentials are write-only.
// Settings is a JSON merge patch (RFC 7396) of the stored settings: what it
// names changes, a null removes a setting (its default applies again), and
// what it leaves out stays as it was.
type Update struct {
	BaseURL     *string            `json:"base_url"`
	TokenURL    *string            `json:"token_url"`
	Enabled     *bool              `json:"enabled"`
	Credentials *map[string]string `json:"credentials"`
	Settings    json.RawMessage    `json:"settings"`
	Version     *int64             `json:"version"`
}

// credentialKeys are the fields each marketplace's credentials must have.
var credentialKeys = map[string][]string{
	"flipkart": {"app_id", "app_secret"},
	"amazon":   {"client_id", "client_secret", "refresh_token", "seller_id"},
	"gem":      {},
}

// Sealer seals and opens secrets bound to a row id.
type Sealer interface {
	Seal(plaintext, aad []byte) (string, error)
	Open(sealed string, aad []byte) ([]byte, error)
}

// Store keeps channels.
type Store interface {
	List(ctx context.Context) ([]Channel, error)
	Get(ctx context.Context, id string) (Channel, error)
	// Update writes c (and sealed credentials unless nil) if the stored
	// version is c.Version-1.
	Update(ctx context.Context, c Channel, sealedCredentials *string, fx effects.Set) error
	SealedCredentials(ctx context.Context, id string) (string, error)
	// Ensure inserts c unless a channel of that name exists.
	Ensure(ctx context.Context, c Channel, sealedCredentials string) error
}

// Service applies the rules.
type Service struct {
	store  Store
	sealer Sealer
	now    func() time.Time
}

func NewService(store Store, sealer Sealer, now func() time.Time) *Service {
	return &Service{store: store, sealer: sealer, now: clock.Or(now)}
}

func (s *Service) List(ctx context.Context) ([]Channel, error) { return s.store.List(ctx) }

func (s *Service) Get(ctx context.Context, id string) (Channel, error) { return s.store.Get(ctx, id) }

// Update changes a channel. Credentials are sealed with the channel id as
// additional data and never returned.
func (s *Service) Update(ctx context.Context, id string, in Update) (_ Channel, err error) {
	defer apperr.Annotate(&err, "channels.Update(%q)", id)
	before, err := s.store.Get(ctx, id)
	if err != nil {
		return Channel{}, err
	}
	if err := apperr.CheckVersion(in.Version, before.Version, "channel", id); err != nil {
		return Channel{}, err
	}
	fe := apperr.FieldErrors{}
	after := before
	if in.BaseURL != nil {
		after.BaseURL = strings.TrimSpace(*in.BaseURL)
		checkURL(fe, "base_url", after.BaseURL)
	}
	if in.TokenURL != nil {
		after.TokenURL = strings.TrimSpace(*in.TokenURL)
		if after.TokenURL != "" {
			checkURL(fe, "token_url", after.TokenURL)
		}
	}
	if in.Enabled != nil {
		after.Enabled = *in.Enabled
	}
	if len(in.Settings) > 0 && string(in.Settings) != "null" {
		merged, err := MergeSettings(before.Settings, in.Settings)
		if err != nil {
			return Channel{}, err
		}
		after.Settings = merged
		checkSettings(fe, after.Settings)
	}
	var sealed *string
	if in.Credentials != nil {
		creds := *in.Credentials
		for _, k := range credentialKeys[after.Kind] {
			if strings.TrimSpace(creds[k]) == "" {
				fe.Add("credentials."+k, "is required for %s", after.Kind)
			}
		}
		for k := range creds {
			if !slices.Contains(credentialKeys[after.Kind], k) {
				fe.Add("credentials."+k, "is not a %s credential", after.Kind)
			}
		}
		if len(fe) == 0 {
			raw, _ := json.Marshal(creds)
			v, err := s.sealer.Seal(raw, []byte(id))
			if err != nil {
				return Channel{}, apperr.Wrap(err, apperr.Internal, "could not seal the credentials")
			}
			sealed = &v
			after.CredentialsSet = true
		}
	}
	if after.Enabled && !after.CredentialsSet && after.Kind != "gem" {
		fe.Add("enabled", "set the credentials before enabling sync")
	}
	if err := fe.Err(); err != nil {
		return Channel{}, err
	}
	after.Version = before.Version + 1
	after.Effective = after.Settings.Effective()
	after.UpdatedAt = s.now().UTC()
	fx := effects.Set{Audit: []audit.Entry{audit.New(ctx, after.UpdatedAt, "update", "channel", id, before, after)}}
	if err := s.store.Update(ctx, after, sealed, fx); err != nil {
		return Channel{}, err
	}
	return after, nil
}

// Credentials opens a channel's credentials for its adapter.
func (s *Service) Credentials(ctx context.Context, id string) (_ map[string]string, err error) {
	defer apperr.Annotate(&err, "channels.Credentials(%q)", id)
	sealed, err := s.store.SealedCredentials(ctx, id)
	if err != nil || sealed == "" {
		return map[string]string{}, err
	}
	raw, err := s.sealer.Open(sealed, []byte(id))
	if err != nil {
		return nil, apperr.Wrap(err, apperr.Internal, "channel credentials do not open: was the master key changed?")
	}
	out := map[string]string{}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, apperr.Wrap(err, apperr.Internal, "channel credentials are unreadable")
	}
	return out, nil
}

// Ensure creates a channel with its credentials unless one of that name exists.
func (s *Service) Ensure(ctx context.Context, kind, name, baseURL, tokenURL string, enabled bool, creds map[string]string, settings Settings) (err error) {
	defer apperr.Annotate(&err, "channels.Ensure(%q)", name)
	now := s.now().UTC()
	c := Channel{ID: ids.New(), Kind: kind, Name: name, BaseURL: baseURL, TokenURL: tokenURL, Enabled: enabled,
		Settings: settings, Version: 1, CreatedAt: now, UpdatedAt: now}
	sealed := ""
	if len(creds) > 0 {
		raw, _ := json.Marshal(creds)
		v, err := s.sealer.Seal(raw, []byte(c.ID))
		if err != nil {
			return err
		}
		sealed = v
	}
	return s.store.Ensure(ctx, c, sealed)
}

// checkURL accepts https anywhere and http only on loopback (simulators):
// credentials must never travel in clear over a network.
func checkURL(fe apperr.FieldErrors, field, raw string) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		fe.Add(field, "must be an absolute URL")
		return
	}
	switch u.Scheme {
	case "https":
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); !(host == "localhost" || (ip != nil && ip.IsLoopback())) {
			fe.Add(field, "must be https (http only for a simulator on loopback)")
		}
	default:
		fe.Add(field, "must be https")
	}
}

// MergeSettings applies a JSON merge patch (RFC 7396) to stored settings:
// only what the patch names changes, a null removes a setting (its default
// applies again), and the result is read strictly (an unknown setting is
// named, with the settings there are).
func MergeSettings(stored Settings, patch json.RawMessage) (Settings, error) {
	if !json.Valid(patch) || !strings.HasPrefix(strings.TrimSpace(string(patch)), "{") {
		return Settings{}, apperr.FieldErrors{"settings": "must be a JSON object of the settings to change (a merge patch)"}.Err()
	}
	doc, err := json.Marshal(stored)
	if err != nil {
		return Settings{}, err
	}
	merged, err := jsonpatch.MergePatch(doc, patch)
	if err != nil {
		return Settings{}, apperr.FieldErrors{"settings": "is not a merge patch: " + err.Error()}.Err()
	}
	dec := json.NewDecoder(strings.NewReader(string(merged)))
	dec.DisallowUnknownFields()
	var out Settings
	if err := dec.Decode(&out); err != nil {
		return Settings{}, settingsError(err)
	}
	return out, nil
}

// settingNames are the settings a channel has, for refusals.
const settingNames = "dispatch_days, return_window_days, settlement_days (whole days), locations ([{location_id, external_location_id}]) and notification_url"

// settingsError names the setting a merged document could not be read for:
// an unknown one (a typo) or one of the wrong type.
func settingsError(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return apperr.FieldErrors{"settings." + typeErr.Field: "must be a " + typeErr.Type.String() + "; the settings are " + settingNames}.Err()
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return apperr.FieldErrors{"settings." + strings.Trim(name, `"`): "is not a channel setting; the settings are " + settingNames}.Err()
	}
	return apperr.FieldErrors{"settings": "unreadable (" + err.Error() + "); the settings are " + settingNames}.Err()
}

func checkSettings(fe apperr.FieldErrors, s Settings) {
	between := func(field string, v *int, lo, hi int) {
		if v != nil && (*v < lo || *v > hi) {
			fe.Add(field, "must be between %d and %d days (leave it out for the default)", lo, hi)
		}
	}
	between("settings.settlement_days", s.SettlementDays, 0, 120)
	between("settings.return_window_days", s.ReturnWindowDays, 0, 90)
	between("settings.dispatch_days", s.DispatchDays, 0, 60)
	if s.NotificationURL != nil {
		u, err := url.Parse(*s.NotificationURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(*s.NotificationURL) > 500 || u.User != nil || u.Fragment != "" {
			fe.Add("settings.notification_url", "must be the absolute http(s) URL the marketplace posts its notifications to, such as https://bridge.example.in/webhooks/flipkart (leave it out to use the address each arrives at)")
		}
	}
	seen := map[string]bool{}
	for i, l := range s.Locations {
		if !ids.Valid(l.LocationID) {
			fe.Add("settings.locations", "entry %d: location_id is not an id", i+1)
		}
		if seen[l.LocationID] {
			fe.Add("settings.locations", "location %s appears twice", l.LocationID)
		}
		seen[l.LocationID] = true
		if len(l.ExternalLocationID) > 64 {
			fe.Add("settings.locations", "entry %d: external_location_id is too long", i+1)
		}
	}
}

// ReturnWindow is the channel's return window (0 is none).
func (s Settings) ReturnWindow() time.Duration {
	return time.Duration(orDefault(s.ReturnWindowDays, DefaultReturnWindowDays)) * 24 * time.Hour
}

// SettlementPeriod is how many days after dispatch payment is due.
func (s Settings) SettlementPeriod() int { return orDefault(s.SettlementDays, DefaultSettlementDays) }

// Dispatch is the dispatch time promised to the marketplace, in days.
func (s Settings) Dispatch() int { return orDefault(s.DispatchDays, DefaultDispatchDays) }

// Effective is every setting as it applies, defaults filled in.
func (s Settings) Effective() EffectiveSettings {
	return EffectiveSettings{DispatchDays: s.Dispatch(), ReturnWindowDays: orDefault(s.ReturnWindowDays, DefaultReturnWindowDays),
		SettlementDays: s.SettlementPeriod(), NotificationURL: orEmpty(s.NotificationURL)}
}

func orEmpty(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// EffectiveSettings are the settings as they apply, shown beside what was set.
type EffectiveSettings struct {
	DispatchDays     int `json:"dispatch_days"`
	ReturnWindowDays int `json:"return_window_days"`
	SettlementDays   int `json:"settlement_days"`
	// NotificationURL empty: each notification is checked against the
	// address it arrived at.
	NotificationURL string `json:"notification_url"`
}

func orDefault(v *int, def int) int {
	if v == nil {
		return def
	}
	return *v
}

// Days is a setting's value, for writing Settings literally.
func Days(n int) *int { return &n }
