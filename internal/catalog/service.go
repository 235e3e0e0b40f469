package catalog

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/audit"
	"github.com/jkhhc/artisanbridge/internal/clock"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/outbox"
	"github.com/jkhhc/artisanbridge/internal/paging"
	"github.com/jkhhc/artisanbridge/internal/secrets"
)

// Service holds the catalogue's rules; storage and transport are elsewhere.
type Service struct {
	store  Store
	sealer Sealer
	crafts *Crafts
	now    func() time.Time
}

// NewService returns a catalogue service. now may be nil (time.Now).
func NewService(store Store, sealer Sealer, crafts *Crafts, now func() time.Time) *Service {
	return &Service{store: store, sealer: sealer, crafts: crafts, now: clock.Or(now)}
}

// Crafts returns the crafts this service accepts.
func (s *Service) Crafts() *Crafts { return s.crafts }

const (
	maxTitle       = 200
	maxDescription = 5000
	maxImages      = 20
	maxAttributes  = 50
	maxShortText   = 120
)

// CreateCluster registers a cluster. Returns Invalid or Conflict (name taken).
func (s *Service) CreateCluster(ctx context.Context, in NewCluster) (_ Cluster, err error) {
	defer apperr.Annotate(&err, "catalog.CreateCluster(%q)", in.Name)
	c := Cluster{
		ID: ids.New(), Code: strings.ToUpper(strings.TrimSpace(in.Code)), Name: strings.TrimSpace(in.Name), Craft: strings.TrimSpace(in.Craft),
		District: strings.TrimSpace(in.District), Lat: in.Lat, Lon: in.Lon, CreatedAt: s.now().UTC(),
	}
	fe := apperr.FieldErrors{}
	textField(fe, "name", c.Name, true, maxShortText)
	textField(fe, "district", c.District, true, maxShortText)
	if c.Code != "" && !codePattern.MatchString(c.Code) {
		fe.Add("code", "must be 2-32 letters, digits or - (it names the cluster's public page, /clusters/{code}), or empty")
	}
	if !s.crafts.Known(c.Craft) {
		fe.Add("craft", "must be a known craft (GET /api/v1/crafts)")
	}
	if c.Lat != nil && (*c.Lat < -90 || *c.Lat > 90) {
		fe.Add("lat", "must be between -90 and 90")
	}
	if c.Lon != nil && (*c.Lon < -180 || *c.Lon > 180) {
		fe.Add("lon", "must be between -180 and 180")
	}
	if (c.Lat == nil) != (c.Lon == nil) {
		fe.Add("lat", "lat and lon go together")
	}
	if err := fe.Err(); err != nil {
		return Cluster{}, err
	}
	fx := Effects{Audit: []audit.Entry{audit.New(ctx, s.now(), "create", "cluster", c.ID, nil, c)}}
	if err := s.store.CreateCluster(ctx, c, fx); err != nil {
		return Cluster{}, err
	}
	return c, nil
}

// ListClusters lists clusters by keyset.
func (s *Service) ListClusters(ctx context.Context, p paging.Request) (paging.Page[Cluster], error) {
	return s.store.ListClusters(ctx, p)
}

// GetCluster returns a cluster by id, or by its code.
func (s *Service) GetCluster(ctx context.Context, ref string) (Cluster, error) {
	if ids.Valid(ref) {
		return s.store.GetCluster(ctx, ref, false)
	}
	code := strings.ToUpper(strings.TrimSpace(ref))
	if !codePattern.MatchString(code) {
		return Cluster{}, apperr.New(apperr.NotFound, "no cluster %q", ref)
	}
	return s.store.GetCluster(ctx, code, true)
}

// CreateArtisan registers an artisan, sealing the bank account number with
// the new row's id as additional data.
func (s *Service) CreateArtisan(ctx context.Context, in ArtisanInput) (_ Artisan, err error) {
	defer apperr.Annotate(&err, "catalog.CreateArtisan(%q)", trimmed(in.Code))
	now := s.now().UTC()
	a := Artisan{ID: ids.New(), Status: ArtisanActive, Language: "ks", Version: 1, CreatedAt: now, UpdatedAt: now}
	fe := apperr.FieldErrors{}
	if in.Version != nil {
		fe.Add("version", "must not be set on create")
	}
	for field, v := range map[string]*string{"code": in.Code, "name": in.Name, "craft": in.Craft} {
		if v == nil || strings.TrimSpace(*v) == "" {
			fe.Add(field, "is required")
		}
	}
	acct, err := s.applyArtisan(ctx, &a, in, fe, nil)
	if err != nil {
		return Artisan{}, err
	}
	if err := fe.Err(); err != nil {
		return Artisan{}, err
	}
	if acct == nil {
		acct = &SealedAccount{}
	}
	fx := Effects{Audit: []audit.Entry{audit.New(ctx, now, "create", "artisan", a.ID, nil, a)}}
	if err := s.store.CreateArtisan(ctx, a, *acct, fx); err != nil {
		return Artisan{}, err
	}
	return a, nil
}

// UpdateArtisan changes the fields in, if in.Version is the stored version.
func (s *Service) UpdateArtisan(ctx context.Context, id string, in ArtisanInput) (_ Artisan, err error) {
	defer apperr.Annotate(&err, "catalog.UpdateArtisan(%q)", id)
	before, err := s.store.GetArtisan(ctx, id)
	if err != nil {
		return Artisan{}, err
	}
	if err := apperr.CheckVersion(in.Version, before.Version, "artisan", id); err != nil {
		return Artisan{}, err
	}
	fe := apperr.FieldErrors{}
	if in.Code != nil && strings.TrimSpace(*in.Code) != before.Code {
		fe.Add("code", "cannot be changed")
	}
	after := before
	acct, err := s.applyArtisan(ctx, &after, in, fe, nil)
	if err != nil {
		return Artisan{}, err
	}
	if err := fe.Err(); err != nil {
		return Artisan{}, err
	}
	after.Version = before.Version + 1
	after.UpdatedAt = s.now().UTC()
	fx := Effects{Audit: []audit.Entry{audit.New(ctx, after.UpdatedAt, "update", "artisan", id, before, after)}}
	if err := s.store.UpdateArtisan(ctx, after, acct, fx); err != nil {
		return Artisan{}, err
	}
	return after, nil
}

// applyArtisan validates the set fields of in onto a and seals a new bank
// account number; field problems go to fe, storage failures are returned.
// clusters, when not nil, says which cluster ids exist (an import loads
// them once instead of asking per row).
func (s *Service) applyArtisan(ctx context.Context, a *Artisan, in ArtisanInput, fe apperr.FieldErrors, clusters map[string]bool) (*SealedAccount, error) {
	if in.Code != nil {
		a.Code = strings.ToUpper(strings.TrimSpace(*in.Code))
		if !codePattern.MatchString(a.Code) {
			fe.Add("code", "must be 2-32 letters, digits or -")
		}
	}
	if in.Name != nil {
		a.Name = strings.TrimSpace(*in.Name)
		textField(fe, "name", a.Name, true, maxShortText)
	}
	if in.Craft != nil {
		a.Craft = strings.TrimSpace(*in.Craft)
		if !s.crafts.Known(a.Craft) {
			fe.Add("craft", "must be a known craft (GET /api/v1/crafts)")
		}
	}
	if in.ClusterID != nil {
		id := strings.TrimSpace(*in.ClusterID)
		if id == "" {
			a.ClusterID = nil
		} else if !ids.Valid(id) {
			fe.Add("cluster_id", "is not an id")
		} else {
			ok := clusters[id]
			if clusters == nil {
				var err error
				if ok, err = s.store.ClusterExists(ctx, id); err != nil {
					return nil, err
				}
			}
			if !ok {
				fe.Add("cluster_id", "no such cluster")
			}
			a.ClusterID = &id
		}
	}
	if in.District != nil {
		a.District = strings.TrimSpace(*in.District)
		textField(fe, "district", a.District, false, maxShortText)
	}
	if in.Phone != nil {
		a.Phone = ""
		if p := strings.TrimSpace(*in.Phone); p != "" {
			n, ok := NormalizeMobile(p)
			if !ok {
				fe.Add("phone", "must be an Indian mobile number (10 digits starting 6-9, optionally +91)")
			}
			a.Phone = n
		}
	}
	if in.Language != nil {
		a.Language = strings.TrimSpace(*in.Language)
		if !slices.Contains(Languages, a.Language) {
			fe.Add("language", "must be one of %s", strings.Join(Languages, ", "))
		}
	}
	if in.PehchanCardNo != nil {
		a.PehchanCardNo = strings.TrimSpace(*in.PehchanCardNo)
		if a.PehchanCardNo != "" && !idNoPattern.MatchString(a.PehchanCardNo) {
			fe.Add("pehchan_card_no", "must be 4-40 letters, digits, / or -")
		}
	}
	if in.GIAuthorisedUserNo != nil {
		a.GIAuthorisedUserNo = strings.TrimSpace(*in.GIAuthorisedUserNo)
		if a.GIAuthorisedUserNo != "" && !idNoPattern.MatchString(a.GIAuthorisedUserNo) {
			fe.Add("gi_authorised_user_no", "must be 4-40 letters, digits, / or -")
		}
	}
	if in.Status != nil {
		a.Status = strings.TrimSpace(*in.Status)
		if a.Status != ArtisanActive && a.Status != ArtisanInactive {
			fe.Add("status", "must be active or inactive")
		}
	}
	if in.BankIFSC != nil {
		a.BankIFSC = strings.ToUpper(strings.TrimSpace(*in.BankIFSC))
		if a.BankIFSC != "" && !ValidIFSC(a.BankIFSC) {
			fe.Add("bank_ifsc", "must be 4 letters, 0, then 6 letters or digits (e.g. JAKA0SRNGAR)")
		}
	}
	var acct *SealedAccount
	if in.BankAccountNumber != nil {
		num := strings.NewReplacer(" ", "", "-", "").Replace(*in.BankAccountNumber)
		switch {
		case num == "":
			acct = &SealedAccount{}
			a.BankAccountMasked = ""
		case !accountPattern.MatchString(num):
			fe.Add("bank_account_number", "must be 9-18 digits")
		default:
			sealed, err := s.sealer.Seal([]byte(num), []byte(a.ID))
			if err != nil {
				return nil, apperr.Wrap(err, apperr.Internal, "could not seal the bank account")
			}
			acct = &SealedAccount{Sealed: sealed, Last4: secrets.Last4(num)}
			a.BankAccountMasked = secrets.MaskedLast4(acct.Last4)
		}
	}
	if (a.BankAccountMasked == "") != (a.BankIFSC == "") {
		fe.Add("bank_ifsc", "bank_account_number and bank_ifsc go together")
	}
	return acct, nil
}

// ArtisanByCode returns the artisan with code, or NotFound.
func (s *Service) ArtisanByCode(ctx context.Context, code string) (Artisan, error) {
	code = strings.ToUpper(strings.TrimSpace(code))
	if !codePattern.MatchString(code) {
		return Artisan{}, apperr.New(apperr.NotFound, "no artisan has code %q", code)
	}
	id, err := s.store.ArtisanIDByCode(ctx, code)
	if err != nil {
		return Artisan{}, err
	}
	return s.store.GetArtisan(ctx, id)
}

// GetArtisan returns one artisan or NotFound.
func (s *Service) GetArtisan(ctx context.Context, id string) (Artisan, error) {
	return s.store.GetArtisan(ctx, id)
}

// ListArtisans lists artisans by keyset.
func (s *Service) ListArtisans(ctx context.Context, f ArtisanFilter, p paging.Request) (paging.Page[Artisan], error) {
	return s.store.ListArtisans(ctx, f, p)
}

// CreateProduct adds one product and announces it.
func (s *Service) CreateProduct(ctx context.Context, in ProductInput) (_ Product, err error) {
	defer apperr.Annotate(&err, "catalog.CreateProduct(%q)", trimmed(in.SKU))
	p, err := s.newProduct(ctx, in, map[string]string{})
	if err != nil {
		return Product{}, err
	}
	if err := s.store.CreateProducts(ctx, []Product{p}, s.createdEffects(ctx, p)); err != nil {
		return Product{}, err
	}
	return p, nil
}

func (s *Service) createdEffects(ctx context.Context, ps ...Product) Effects {
	var fx Effects
	for _, p := range ps {
		fx.Audit = append(fx.Audit, audit.New(ctx, p.CreatedAt, "create", "product", p.ID, nil, p))
		fx.Events = append(fx.Events, outbox.New(p.CreatedAt, outbox.TopicProductChanged, p.ID,
			outbox.ProductChanged{ProductID: p.ID, SKU: p.SKU, Version: p.Version, Change: "created"}))
	}
	return fx
}

// newProduct validates a create; artisanByCode caches code lookups across
// the rows of an import.
func (s *Service) newProduct(ctx context.Context, in ProductInput, artisanByCode map[string]string) (Product, error) {
	now := s.now().UTC()
	p := Product{ID: ids.New(), Status: "draft", Version: 1, CreatedAt: now, UpdatedAt: now,
		Images: []string{}, Photos: []string{}, Attributes: map[string]string{}}
	fe := apperr.FieldErrors{}
	if in.Version != nil {
		fe.Add("version", "must not be set on create")
	}
	required := map[string]bool{
		"sku": in.SKU != nil, "title": in.Title != nil, "craft": in.Craft != nil, "hsn_code": in.HSNCode != nil,
		"gst_rate_bp": in.GSTRateBP != nil, "mrp_paise": in.MRPPaise != nil, "price_paise": in.PricePaise != nil,
		"artisan_id": in.ArtisanID != nil || in.ArtisanCode != nil,
	}
	for field, ok := range required {
		if !ok {
			fe.Add(field, "is required")
		}
	}
	if in.ArtisanPricePaise == nil && in.ArtisanShareBP == nil {
		fe.Add("artisan_price_paise", "one of artisan_price_paise or artisan_share_bp is required")
	}
	if in.Attributes != nil {
		for k, v := range *in.Attributes {
			if v == nil {
				fe.Add("attributes."+k, "is null: a null removes an attribute from a product that has it; leave it out of a new one")
			}
		}
	}
	if err := s.applyProduct(ctx, &p, in, fe, artisanByCode); err != nil {
		return Product{}, err
	}
	return p, fe.Err()
}

// UpdateProduct changes the fields in, if in.Version is the stored version.
func (s *Service) UpdateProduct(ctx context.Context, id string, in ProductInput) (_ Product, err error) {
	defer apperr.Annotate(&err, "catalog.UpdateProduct(%q)", id)
	before, err := s.store.GetProduct(ctx, id)
	if err != nil {
		return Product{}, err
	}
	if err := apperr.CheckVersion(in.Version, before.Version, "product", id); err != nil {
		return Product{}, err
	}
	fe := apperr.FieldErrors{}
	if in.SKU != nil && strings.TrimSpace(*in.SKU) != before.SKU {
		fe.Add("sku", "cannot be changed: marketplaces know the product by it")
	}
	if in.ArtisanCode != nil {
		fe.Add("artisan_code", "is for imports; use artisan_id")
	}
	after := before
	after.Images = append([]string{}, before.Images...)
	after.Photos = append([]string{}, before.Photos...)
	after.Attributes = make(map[string]string, len(before.Attributes))
	for k, v := range before.Attributes {
		after.Attributes[k] = v
	}
	if err := s.applyProduct(ctx, &after, in, fe, map[string]string{}); err != nil {
		return Product{}, err
	}
	if err := fe.Err(); err != nil {
		return Product{}, err
	}
	after.Version = before.Version + 1
	after.UpdatedAt = s.now().UTC()
	fx := Effects{
		Audit: []audit.Entry{audit.New(ctx, after.UpdatedAt, "update", "product", id, before, after)},
		Events: []outbox.Message{outbox.New(after.UpdatedAt, outbox.TopicProductChanged, id,
			outbox.ProductChanged{ProductID: id, SKU: after.SKU, Version: after.Version, Change: "updated"})},
	}
	if err := s.store.UpdateProduct(ctx, after, fx); err != nil {
		return Product{}, err
	}
	return after, nil
}

func (s *Service) applyProduct(ctx context.Context, p *Product, in ProductInput, fe apperr.FieldErrors, artisanByCode map[string]string) error {
	if in.SKU != nil {
		p.SKU = strings.TrimSpace(*in.SKU)
		if !ValidSKU(p.SKU) {
			fe.Add("sku", "must be 3-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
		}
	}
	if in.Title != nil {
		p.Title = strings.TrimSpace(*in.Title)
		textField(fe, "title", p.Title, true, maxTitle)
	}
	if in.Description != nil {
		p.Description = strings.TrimSpace(*in.Description)
		textField(fe, "description", p.Description, false, maxDescription)
	}
	if in.Craft != nil {
		p.Craft = strings.TrimSpace(*in.Craft)
		if !s.crafts.Known(p.Craft) {
			fe.Add("craft", "must be a known craft (GET /api/v1/crafts)")
		}
	}
	if in.HSNCode != nil {
		p.HSNCode = strings.TrimSpace(*in.HSNCode)
		if !ValidHSN(p.HSNCode) {
			fe.Add("hsn_code", "must be 4, 6 or 8 digits")
		}
	}
	if in.GSTRateBP != nil {
		p.GSTRateBP = *in.GSTRateBP
		if !LegalGSTRate(p.GSTRateBP) {
			fe.Add("gst_rate_bp", "must be a GST rate in force, in basis points: %v", LegalGSTRatesBP)
		}
	}
	if in.MRPPaise != nil {
		p.MRPPaise = *in.MRPPaise
		if p.MRPPaise <= 0 {
			fe.Add("mrp_paise", "must be > 0")
		}
	}
	if in.PricePaise != nil {
		p.PricePaise = *in.PricePaise
		if p.PricePaise <= 0 {
			fe.Add("price_paise", "must be > 0")
		}
	}
	if p.PricePaise > 0 && p.MRPPaise > 0 && p.PricePaise > p.MRPPaise {
		fe.Add("price_paise", "must not exceed mrp_paise (%d)", p.MRPPaise)
	}
	if err := s.resolveArtisan(ctx, p, in, fe, artisanByCode); err != nil {
		return err
	}
	switch {
	case in.ArtisanPricePaise != nil && in.ArtisanShareBP != nil:
		fe.Add("artisan_price_paise", "set artisan_price_paise or artisan_share_bp, not both")
	case in.ArtisanPricePaise != nil:
		v := *in.ArtisanPricePaise
		p.ArtisanPricePaise, p.ArtisanShareBP = &v, nil
	case in.ArtisanShareBP != nil:
		v := *in.ArtisanShareBP
		p.ArtisanShareBP, p.ArtisanPricePaise = &v, nil
	}
	if v := p.ArtisanPricePaise; v != nil {
		if *v <= 0 {
			fe.Add("artisan_price_paise", "must be > 0")
		} else if p.PricePaise > 0 && *v > p.PricePaise {
			fe.Add("artisan_price_paise", "must not exceed price_paise (%d)", p.PricePaise)
		}
	}
	if v := p.ArtisanShareBP; v != nil && (*v <= 0 || *v > 10000) {
		fe.Add("artisan_share_bp", "must be between 1 and 10000")
	}
	applyGI(fe, p, in.GI, in.GITag)
	if in.GICertificateNo != nil {
		p.GICertificateNo = strings.TrimSpace(*in.GICertificateNo)
		if p.GICertificateNo != "" && !idNoPattern.MatchString(p.GICertificateNo) {
			fe.Add("gi_certificate_no", "must be 4-40 letters, digits, / or -")
		}
	}
	if p.GICertificateNo != "" && p.GI == "" {
		fe.Add("gi_certificate_no", "is the number of a GI label or certificate: set gi to the GI it is for (one of %s)", strings.Join(GIKeys(), ", "))
	}
	if in.OneOfAKind != nil {
		p.OneOfAKind = *in.OneOfAKind
	}
	if in.MadeToOrder != nil {
		p.MadeToOrder = *in.MadeToOrder
	}
	if p.MadeToOrder && p.OneOfAKind {
		fe.Add("made_to_order", "a one-of-a-kind piece cannot be made again to order")
	}
	if in.AllocatedChannelID != nil {
		p.AllocatedChannelID = nil
		if id := strings.TrimSpace(*in.AllocatedChannelID); id != "" {
			p.AllocatedChannelID = &id
			ok, err := s.store.ChannelExists(ctx, id)
			if err != nil {
				return err
			}
			if !ids.Valid(id) || !ok {
				fe.Add("allocated_channel_id", "no such channel")
			}
		}
	}
	if p.AllocatedChannelID != nil && !p.OneOfAKind {
		fe.Add("allocated_channel_id", "only a one_of_a_kind piece is allocated to one channel")
	}
	for field, pair := range map[string]struct {
		in  *int64
		out *int64
	}{"weight_g": {in.WeightG, &p.WeightG}, "length_mm": {in.LengthMM, &p.LengthMM},
		"width_mm": {in.WidthMM, &p.WidthMM}, "height_mm": {in.HeightMM, &p.HeightMM}} {
		if pair.in == nil {
			continue
		}
		*pair.out = *pair.in
		if *pair.in < 0 || *pair.in > 10_000_000 {
			fe.Add(field, "must be between 0 and 10000000")
		}
	}
	if in.Images != nil {
		p.Images = validImages(fe, *in.Images)
	}
	if in.Photos != nil {
		p.Photos = validPhotos(fe, *in.Photos)
	}
	if in.Attributes != nil {
		p.Attributes = validAttributes(fe, mergeAttributes(p.Attributes, *in.Attributes))
	}
	if in.Status != nil {
		p.Status = strings.TrimSpace(*in.Status)
		if !slices.Contains([]string{"draft", "active", "archived"}, p.Status) {
			fe.Add("status", "must be draft, active or archived")
		}
	}
	return nil
}

func (s *Service) resolveArtisan(ctx context.Context, p *Product, in ProductInput, fe apperr.FieldErrors, byCode map[string]string) error {
	switch {
	case in.ArtisanID != nil:
		id := strings.TrimSpace(*in.ArtisanID)
		if !ids.Valid(id) {
			fe.Add("artisan_id", "is not an id")
			return nil
		}
		if found, known := byCode[ArtisanIDKey(id)]; known {
			if found == "" {
				fe.Add("artisan_id", "no such artisan")
				return nil
			}
		} else if _, err := s.store.GetArtisan(ctx, id); err != nil {
			if apperr.Is(err, apperr.NotFound) {
				fe.Add("artisan_id", "no such artisan")
				return nil
			}
			return err
		}
		p.ArtisanID = id
	case in.ArtisanCode != nil:
		code := strings.ToUpper(strings.TrimSpace(*in.ArtisanCode))
		id, ok := byCode[code]
		if !ok {
			var err error
			id, err = s.store.ArtisanIDByCode(ctx, code)
			if err != nil && !apperr.Is(err, apperr.NotFound) {
				return err
			}
			byCode[code] = id
		}
		if id == "" {
			fe.Add("artisan_code", "no artisan has code %q", code)
			return nil
		}
		p.ArtisanID = id
	}
	return nil
}

// GetProduct returns one product or NotFound.
func (s *Service) GetProduct(ctx context.Context, id string) (Product, error) {
	return s.store.GetProduct(ctx, id)
}

// ListProducts lists products by keyset.
func (s *Service) ListProducts(ctx context.Context, f ProductFilter, p paging.Request) (paging.Page[Product], error) {
	return s.store.ListProducts(ctx, f, p)
}

func textField(fe apperr.FieldErrors, field, v string, required bool, max int) {
	switch {
	case required && v == "":
		fe.Add(field, "is required")
	case !utf8.ValidString(v):
		fe.Add(field, "must be UTF-8 text")
	case utf8.RuneCountInString(v) > max:
		fe.Add(field, "must be at most %d characters", max)
	case strings.ContainsRune(v, 0):
		fe.Add(field, "must not contain NUL characters")
	}
}

func validImages(fe apperr.FieldErrors, in []string) []string {
	if len(in) > maxImages {
		fe.Add("images", "at most %d images", maxImages)
		return nil
	}
	out := make([]string, 0, len(in))
	for i, u := range in {
		u = strings.TrimSpace(u)
		if !(strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")) || len(u) > 2048 || strings.ContainsAny(u, " \t\n\"<>") {
			fe.Add("images", "image %d must be an http(s) URL of at most 2048 characters", i+1)
			continue
		}
		out = append(out, u)
	}
	return out
}

// mergeAttributes applies a merge patch to stored attributes: a value sets
// an attribute, a null removes it, and an attribute the patch leaves out
// stays.
func mergeAttributes(stored map[string]string, patch map[string]*string) map[string]string {
	out := make(map[string]string, len(stored)+len(patch))
	for k, v := range stored {
		out[k] = v
	}
	for k, v := range patch {
		if v == nil {
			delete(out, k)
			continue
		}
		out[k] = *v
	}
	return out
}

// validPhotos checks the form of photo references; that each was uploaded
// is for the database to say (product_photos refers to media).
func validPhotos(fe apperr.FieldErrors, in []string) []string {
	if len(in) > maxImages {
		fe.Add("photos", "at most %d photos", maxImages)
		return nil
	}
	out := make([]string, 0, len(in))
	for i, sha := range in {
		sha = strings.ToLower(strings.TrimSpace(sha))
		switch {
		case !shaPattern.MatchString(sha):
			fe.Add("photos", "photo %d must be the sha256 of an uploaded photo (POST /api/v1/media answers it)", i+1)
		case slices.Contains(out, sha):
			fe.Add("photos", "photo %d is listed twice", i+1)
		default:
			out = append(out, sha)
		}
	}
	return out
}

func validAttributes(fe apperr.FieldErrors, in map[string]string) map[string]string {
	if len(in) > maxAttributes {
		fe.Add("attributes", "at most %d attributes", maxAttributes)
		return nil
	}
	out := make(map[string]string, len(in))
	for k, v := range in {
		if !craftPattern.MatchString(k) {
			fe.Add("attributes", "attribute name %q must be lower-case letters, digits and _", k)
			continue
		}
		textField(fe, "attributes."+k, v, false, 500)
		out[k] = v
	}
	return out
}
