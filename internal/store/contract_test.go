package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/effects"
	"github.com/jkhhc/artisanbridge/internal/idempotency"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/inventory"
	"github.com/jkhhc/artisanbridge/internal/outbox"
	"github.com/jkhhc/artisanbridge/internal/paging"
	"github.com/jkhhc/artisanbridge/internal/secrets"
	"github.com/jkhhc/artisanbridge/internal/store"
	"github.com/jkhhc/artisanbridge/internal/testenv"
	"github.com/jkhhc/artisanbridge/migrations"
)

// TestContract runs the one repository contract suite against every backend.
func TestContract(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			t.Run("migrations up, down to 0, up", func(t *testing.T) { testMigrations(t, b) })
			t.Run("catalogue", func(t *testing.T) { testCatalogue(t, b) })
			t.Run("keyset pagination", func(t *testing.T) { testPagination(t, b) })
			t.Run("search", func(t *testing.T) { testSearch(t, b) })
			t.Run("concurrent movements", func(t *testing.T) { testConcurrentMovements(t, b) })
			t.Run("refused movement writes nothing", func(t *testing.T) { testRefusedMovement(t, b) })
			t.Run("stock constraints hold in the database", func(t *testing.T) { testStockConstraints(t, b) })
			t.Run("append-only tables", func(t *testing.T) { testAppendOnly(t, b) })
			t.Run("outbox", func(t *testing.T) { testOutbox(t, b) })
			t.Run("idempotency claims race", func(t *testing.T) { testIdempotencyRace(t, b) })
			t.Run("idempotency keys know their commit", func(t *testing.T) { testIdempotencyCommitted(t, b) })
			t.Run("rollback leaves nothing", func(t *testing.T) { testRollback(t, b) })
		})
	}
}

type fixture struct {
	db       *store.DB
	ring     *secrets.Keyring
	cat      *catalog.Service
	inv      *inventory.Service
	artisan  catalog.Artisan
	product  catalog.Product
	showroom inventory.Location
	store2   inventory.Location
}

func newFixture(t *testing.T, b testenv.Backend) *fixture {
	t.Helper()
	db, _ := b.Open(t)
	ring := mustRing(t)
	crafts, _ := catalog.NewCrafts()
	f := &fixture{db: db, ring: ring, cat: catalog.NewService(db.Catalog(), ring, crafts, nil), inv: inventory.NewService(db.Inventory(), nil)}
	ctx := context.Background()
	var err error
	f.artisan, err = f.cat.CreateArtisan(ctx, catalog.ArtisanInput{Code: ptr("GH-001"), Name: ptr("Ghulam Nabi"), Craft: ptr("kani_shawl"),
		BankAccountNumber: ptr("123456789012"), BankIFSC: ptr("JAKA0SRNGAR")})
	if err != nil {
		t.Fatalf("create artisan: %v", err)
	}
	f.product = mustProduct(t, f, "KANI-001")
	f.showroom = mustLocation(t, f, "SRG-RESIDENCY", "showroom")
	f.store2 = mustLocation(t, f, "JMU-WAREHOUSE", "warehouse")
	return f
}

func mustRing(t *testing.T) *secrets.Keyring {
	t.Helper()
	key, err := secrets.LoadOrCreateKeyFile(filepath.Join(t.TempDir(), "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	ring, err := secrets.ParseMasterKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return ring
}

func mustProduct(t *testing.T, f *fixture, sku string) catalog.Product {
	t.Helper()
	p, err := f.cat.CreateProduct(context.Background(), catalog.ProductInput{
		SKU: ptr(sku), Title: ptr("Kani shawl, pure pashmina"), Craft: ptr("kani_shawl"), HSNCode: ptr("62142010"),
		GSTRateBP: ptr[int64](500), MRPPaise: ptr[int64](9_500_000), PricePaise: ptr[int64](8_900_000),
		ArtisanID: ptr(f.artisan.ID), ArtisanPricePaise: ptr[int64](6_000_000)})
	if err != nil {
		t.Fatalf("create product %s: %v", sku, err)
	}
	return p
}

func mustLocation(t *testing.T, f *fixture, code, kind string) inventory.Location {
	t.Helper()
	l, err := f.inv.CreateLocation(context.Background(), inventory.NewLocation{Code: code, Name: code, Kind: kind})
	if err != nil {
		t.Fatalf("create location: %v", err)
	}
	return l
}

func ptr[T any](v T) *T { return &v }

func testMigrations(t *testing.T, b testenv.Backend) {
	db, _ := b.Open(t)
	ctx := context.Background()
	p, err := migrations.NewProvider(db.SQL(), db.Dialect(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 0); err != nil {
		t.Fatalf("down to 0: %v", err)
	}
	if v, _ := p.GetDBVersion(ctx); v != 0 {
		t.Fatalf("version after DownTo(0) = %d", v)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("up again: %v", err)
	}
	pending, err := p.HasPending(ctx)
	if err != nil || pending {
		t.Fatalf("pending after up: %v %v", pending, err)
	}
}

func testCatalogue(t *testing.T, b testenv.Backend) {
	f := newFixture(t, b)
	ctx := context.Background()
	got, err := f.cat.GetProduct(ctx, f.product.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.SKU != "KANI-001" || got.PricePaise != 8_900_000 || *got.ArtisanPricePaise != 6_000_000 || got.Version != 1 {
		t.Fatalf("product read back wrong: %+v", got)
	}
	a, err := f.cat.GetArtisan(ctx, f.artisan.ID)
	if err != nil {
		t.Fatal(err)
	}
	if a.BankAccountMasked != "XXXXXXXX9012" {
		t.Fatalf("masked account = %q", a.BankAccountMasked)
	}
	sealed, err := f.db.Catalog().BankAccountSealed(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := mustRing(t).Open(sealed, []byte(a.ID))
	if err == nil || string(plain) == "123456789012" {
		t.Fatalf("a different key must not open the account")
	}

	// Duplicate SKU is a conflict; a stale version is a conflict and changes nothing.
	_, err = f.cat.CreateProduct(ctx, catalog.ProductInput{SKU: ptr("KANI-001"), Title: ptr("x"), Craft: ptr("kani_shawl"),
		HSNCode: ptr("6214"), GSTRateBP: ptr[int64](500), MRPPaise: ptr[int64](100), PricePaise: ptr[int64](100),
		ArtisanID: ptr(f.artisan.ID), ArtisanShareBP: ptr[int64](7000)})
	if !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("duplicate sku: got %v, want conflict", err)
	}
	upd, err := f.cat.UpdateProduct(ctx, f.product.ID, catalog.ProductInput{PricePaise: ptr[int64](8_500_000), Version: ptr[int64](1)})
	if err != nil || upd.Version != 2 || upd.PricePaise != 8_500_000 {
		t.Fatalf("update: %+v %v", upd, err)
	}
	_, err = f.cat.UpdateProduct(ctx, f.product.ID, catalog.ProductInput{PricePaise: ptr[int64](1), Version: ptr[int64](1)})
	if !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("stale version: got %v, want conflict", err)
	}
	got, _ = f.cat.GetProduct(ctx, f.product.ID)
	if got.PricePaise != 8_500_000 || got.Version != 2 {
		t.Fatalf("stale update changed the product: %+v", got)
	}
	if _, err := f.cat.GetProduct(ctx, ids.New()); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("missing product: %v", err)
	}
	// Changing the artisan's bank account re-seals it; only last 4 come back.
	a2, err := f.cat.UpdateArtisan(ctx, a.ID, catalog.ArtisanInput{BankAccountNumber: ptr("99988877766655"), Version: ptr(a.Version)})
	if err != nil || a2.BankAccountMasked != "XXXXXXXX6655" {
		t.Fatalf("update artisan: %+v %v", a2, err)
	}
}

func testPagination(t *testing.T, b testenv.Backend) {
	f := newFixture(t, b)
	ctx := context.Background()
	for i := 0; i < 6; i++ {
		mustProduct(t, f, fmt.Sprintf("PAGE-%02d", i))
	}
	seen := map[string]bool{}
	cursor := ""
	pages := 0
	for {
		req, err := paging.Parse(3, cursor)
		if err != nil {
			t.Fatal(err)
		}
		page, err := f.cat.ListProducts(ctx, catalog.ProductFilter{}, req)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, p := range page.Items {
			if seen[p.ID] {
				t.Fatalf("product %s on two pages", p.SKU)
			}
			seen[p.ID] = true
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if len(seen) != 7 || pages != 3 {
		t.Fatalf("saw %d products over %d pages, want 7 over 3", len(seen), pages)
	}
}

// testConcurrentMovements is acceptance 4: 50 concurrent movements against
// one product and location; on_hand ends at their sum and never below zero;
// refused ones write nothing.
func testConcurrentMovements(t *testing.T, b testenv.Backend) {
	f := newFixture(t, b)
	ctx := context.Background()
	if _, err := f.inv.RecordMovement(ctx, inventory.MovementInput{ProductID: f.product.ID, LocationID: f.showroom.ID,
		Kind: inventory.KindIntake, Quantity: 10}); err != nil {
		t.Fatal(err)
	}
	type result struct {
		delta int64
		err   error
	}
	results := make(chan result, 50)
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			in := inventory.MovementInput{ProductID: f.product.ID, LocationID: f.showroom.ID}
			var delta int64
			switch i % 3 {
			case 0:
				in.Kind, in.Quantity, delta = inventory.KindIntake, 2, 2
			case 1:
				in.Kind, in.Quantity, delta = inventory.KindSale, 3, -3
			default:
				in.Kind, in.Quantity, in.Reason, delta = inventory.KindDamage, 1, "moth damage", -1
			}
			_, err := f.inv.RecordMovement(ctx, in)
			results <- result{delta, err}
		}(i)
	}
	wg.Wait()
	close(results)
	sum := int64(10)
	accepted, refused := 0, 0
	for r := range results {
		switch {
		case r.err == nil:
			sum += r.delta
			accepted++
		case apperr.Is(r.err, apperr.Conflict):
			refused++
		default:
			t.Fatalf("movement failed with %v", r.err)
		}
	}
	lvl, err := f.db.Inventory().Level(ctx, f.product.ID, f.showroom.ID)
	if err != nil {
		t.Fatal(err)
	}
	if lvl.OnHand != sum || lvl.OnHand < 0 {
		t.Fatalf("on_hand = %d, sum of accepted movements = %d", lvl.OnHand, sum)
	}
	page, err := f.inv.ListMovements(ctx, inventory.MovementFilter{ProductID: f.product.ID}, paging.Request{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var fromRows int64
	for _, m := range page.Items {
		for _, d := range m.Deltas() {
			fromRows += d.OnHand
		}
	}
	if len(page.Items) != accepted+1 || fromRows != lvl.OnHand {
		t.Fatalf("%d movement rows (want %d) summing to %d (on_hand %d)", len(page.Items), accepted+1, fromRows, lvl.OnHand)
	}
	t.Logf("%s: %d accepted, %d refused, on_hand %d", b.Name, accepted, refused, lvl.OnHand)
}

func countRows(t *testing.T, db *store.DB, table string) int64 {
	t.Helper()
	var n int64
	if err := db.Gorm().Table(table).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func testRefusedMovement(t *testing.T, b testenv.Backend) {
	f := newFixture(t, b)
	ctx := context.Background()
	if _, err := f.inv.RecordMovement(ctx, inventory.MovementInput{ProductID: f.product.ID, LocationID: f.showroom.ID, Kind: "intake", Quantity: 2}); err != nil {
		t.Fatal(err)
	}
	before := map[string]int64{}
	tables := []string{"stock_movements", "stock_levels", "outbox", "audit_log"}
	for _, tb := range tables {
		before[tb] = countRows(t, f.db, tb)
	}
	cases := []inventory.MovementInput{
		{ProductID: f.product.ID, LocationID: f.showroom.ID, Kind: "sale", Quantity: 3},
		{ProductID: f.product.ID, LocationID: f.showroom.ID, Kind: "transfer", Quantity: 5, ToLocationID: ptr(f.store2.ID)},
		{ProductID: f.product.ID, LocationID: f.store2.ID, Kind: "sale", Quantity: 1},
		{ProductID: f.product.ID, LocationID: f.showroom.ID, Kind: "adjustment", Quantity: -3, Reason: "count"},
	}
	for _, in := range cases {
		if _, err := f.inv.RecordMovement(ctx, in); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("%+v: got %v, want conflict", in, err)
		}
	}
	if _, err := f.inv.RecordMovement(ctx, inventory.MovementInput{ProductID: ids.New(), LocationID: f.showroom.ID, Kind: "intake", Quantity: 1}); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("unknown product: %v", err)
	}
	for _, tb := range tables {
		if n := countRows(t, f.db, tb); n != before[tb] {
			t.Fatalf("%s has %d rows after refused movements, had %d", tb, n, before[tb])
		}
	}
	// A transfer that fits moves the units and both levels show it.
	if _, err := f.inv.RecordMovement(ctx, inventory.MovementInput{ProductID: f.product.ID, LocationID: f.showroom.ID,
		Kind: "transfer", Quantity: 2, ToLocationID: ptr(f.store2.ID)}); err != nil {
		t.Fatal(err)
	}
	a, _ := f.db.Inventory().Level(ctx, f.product.ID, f.showroom.ID)
	c, _ := f.db.Inventory().Level(ctx, f.product.ID, f.store2.ID)
	if a.OnHand != 0 || c.OnHand != 2 {
		t.Fatalf("after transfer: showroom %d, warehouse %d", a.OnHand, c.OnHand)
	}
}

// testStockConstraints shows the database itself refuses what Go might get
// wrong: negative stock and reserved above on hand.
func testStockConstraints(t *testing.T, b testenv.Backend) {
	f := newFixture(t, b)
	ctx := context.Background()
	if _, err := f.inv.RecordMovement(ctx, inventory.MovementInput{ProductID: f.product.ID, LocationID: f.showroom.ID, Kind: "intake", Quantity: 1}); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		"UPDATE stock_levels SET on_hand = -1",
		"UPDATE stock_levels SET reserved = 2",
		"UPDATE stock_levels SET reserved = -1",
	} {
		if err := f.db.Gorm().Exec(stmt).Error; err == nil {
			t.Fatalf("%s was accepted", stmt)
		}
	}
}

func testAppendOnly(t *testing.T, b testenv.Backend) {
	f := newFixture(t, b)
	ctx := context.Background()
	if _, err := f.inv.RecordMovement(ctx, inventory.MovementInput{ProductID: f.product.ID, LocationID: f.showroom.ID, Kind: "intake", Quantity: 1}); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		"UPDATE stock_movements SET quantity = 100",
		"DELETE FROM stock_movements",
		"UPDATE audit_log SET actor_name = 'someone else'",
		"DELETE FROM audit_log",
	} {
		if err := f.db.Gorm().Exec(stmt).Error; err == nil {
			t.Fatalf("%s was accepted on an append-only table", stmt)
		}
	}
}

func testOutbox(t *testing.T, b testenv.Backend) {
	f := newFixture(t, b)
	ctx := context.Background()
	ob := f.db.Outbox()
	msgs, err := ob.Unsent(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].Topic != outbox.TopicProductChanged || msgs[0].Key != f.product.ID {
		t.Fatalf("unsent after one product: %+v", msgs)
	}
	if err := ob.MarkFailed(ctx, msgs[0].ID, "redis down"); err != nil {
		t.Fatal(err)
	}
	if err := ob.MarkSent(ctx, msgs[0].ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if n, _ := ob.PendingCount(ctx); n != 0 {
		t.Fatalf("pending after mark sent = %d", n)
	}
	calls := 0
	for i := 0; i < 3; i++ {
		ran, err := ob.ProcessOnce(ctx, "test", msgs[0].ID, func(context.Context) error { calls++; return nil })
		if err != nil || ran != (i == 0) {
			t.Fatalf("ProcessOnce #%d: ran=%v err=%v", i, ran, err)
		}
	}
	failing := errors.New("marketplace down")
	if _, err := ob.ProcessOnce(ctx, "test", "other", func(context.Context) error { return failing }); !errors.Is(err, failing) {
		t.Fatalf("failed consume: %v", err)
	}
	if done, _ := ob.Processed(ctx, "test", "other"); done {
		t.Fatal("a failed consume was marked processed")
	}
	if calls != 1 {
		t.Fatalf("consumer ran %d times", calls)
	}
}

func testIdempotencyRace(t *testing.T, b testenv.Backend) {
	db, _ := b.Open(t)
	ctx := context.Background()
	s := db.Idempotency()
	var wg sync.WaitGroup
	claims := make(chan string, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, claimed, err := s.Claim(ctx, idempotency.Record{PrincipalID: "u1", Key: "key-000001", Method: "POST", Path: "/x", RequestHash: "h",
				ClaimID: ids.New(), CreatedAt: time.Now()})
			if err != nil {
				t.Error(err)
			}
			if claimed {
				claims <- got.ClaimID
			}
		}()
	}
	wg.Wait()
	close(claims)
	var won []string
	for c := range claims {
		won = append(won, c)
	}
	if len(won) != 1 {
		t.Fatalf("%d concurrent claims won, want 1", len(won))
	}
	if err := s.Complete(ctx, "u1", "key-000001", "another-claim", 201, []byte(`{"other":true}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.Complete(ctx, "u1", "key-000001", won[0], 201, []byte(`{"ok":true}`)); err != nil {
		t.Fatal(err)
	}
	stored, claimed, err := s.Claim(ctx, idempotency.Record{PrincipalID: "u1", Key: "key-000001", RequestHash: "h", CreatedAt: time.Now()})
	if err != nil || claimed || !stored.Done || stored.ResponseStatus != 201 || string(stored.ResponseBody) != `{"ok":true}` {
		t.Fatalf("replay: %+v claimed=%v err=%v", stored, claimed, err)
	}
	// Another principal's same key is its own.
	if _, claimed, _ := s.Claim(ctx, idempotency.Record{PrincipalID: "u2", Key: "key-000001", RequestHash: "h", CreatedAt: time.Now()}); !claimed {
		t.Fatal("keys must be scoped per principal")
	}
	if n, err := s.Prune(ctx, time.Now().Add(time.Minute)); err != nil || n != 2 {
		t.Fatalf("prune: %d %v", n, err)
	}
}

// testIdempotencyCommitted: a key is marked committed in its request's own
// transaction, so a request cut after its commit is never run again; a stale key that committed nothing is taken over by one
// retry, and the run that lost it can no longer commit.
func testIdempotencyCommitted(t *testing.T, b testenv.Backend) {
	db, _ := b.Open(t)
	ctx := context.Background()
	s := db.Idempotency()
	cat := db.Catalog()
	now := time.Now().UTC()
	cluster := func(name string) catalog.Cluster {
		return catalog.Cluster{ID: ids.New(), Name: name, Craft: "kani_shawl", District: "Budgam", CreatedAt: now}
	}
	claim := func(key, id string, at time.Time) idempotency.Record {
		t.Helper()
		got, claimed, err := s.Claim(ctx, idempotency.Record{PrincipalID: "u1", Key: key, Method: "POST", Path: "/x", RequestHash: "h", ClaimID: id, CreatedAt: at})
		if err != nil {
			t.Fatal(err)
		}
		if !claimed {
			return got
		}
		return idempotency.Record{}
	}
	// Cut after its commit (never answered): the key stays and says so.
	claim("key-committed", "c1", now)
	if err := cat.CreateCluster(idempotency.WithClaim(ctx, idempotency.Claim{PrincipalID: "u1", Key: "key-committed", ID: "c1"}), cluster("Kanihama"), effects.Set{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Release(ctx, "u1", "key-committed", "another-run"); err != nil {
		t.Fatal(err)
	}
	stored := claim("key-committed", "c2", now.Add(time.Hour))
	if !stored.Committed || stored.Done || stored.ClaimID != "c1" {
		t.Fatalf("a committed key after release: %+v", stored)
	}
	if _, err := idempotency.Decide(stored, "h", now.Add(time.Hour)); apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("a committed key without an answer: %v", err)
	}
	// Cut before any commit: one retry takes it over once it is stale.
	old := now.Add(-idempotency.StaleAfter - time.Second)
	claim("key-stale", "d1", old)
	if took, err := s.TakeOver(ctx, "u1", "key-stale", "d1", "d2", now); err != nil || !took {
		t.Fatalf("take over: %v %v", took, err)
	}
	if took, err := s.TakeOver(ctx, "u1", "key-stale", "d1", "d3", now); err != nil || took {
		t.Fatalf("a second take-over of the same claim: %v %v", took, err)
	}
	before := countRows(t, db, "clusters")
	err := cat.CreateCluster(idempotency.WithClaim(ctx, idempotency.Claim{PrincipalID: "u1", Key: "key-stale", ID: "d1"}), cluster("Zadibal"), effects.Set{})
	if apperr.CodeOf(err) != apperr.Conflict || countRows(t, db, "clusters") != before {
		t.Fatalf("the run that lost its key committed: %v", err)
	}
	if err := cat.CreateCluster(idempotency.WithClaim(ctx, idempotency.Claim{PrincipalID: "u1", Key: "key-stale", ID: "d2"}), cluster("Zadibal"), effects.Set{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Complete(ctx, "u1", "key-stale", "d2", 201, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	// Work a request leaves running after its answer still commits.
	if err := cat.CreateCluster(idempotency.WithClaim(ctx, idempotency.Claim{PrincipalID: "u1", Key: "key-stale", ID: "d2"}), cluster("Bandipora"), effects.Set{}); err != nil {
		t.Fatalf("after the answer: %v", err)
	}
	if got := claim("key-stale", "d4", now); !got.Done || got.ClaimID != "d2" {
		t.Fatalf("the retry's answer: %+v", got)
	}
}

// testRollback: a change whose own rows or side effects fail leaves no trace.
func testRollback(t *testing.T, b testenv.Backend) {
	f := newFixture(t, b)
	ctx := context.Background()
	tables := []string{"products", "outbox", "audit_log"}
	before := map[string]int64{}
	for _, tb := range tables {
		before[tb] = countRows(t, f.db, tb)
	}
	p := f.product
	p.ID, p.SKU = ids.New(), "ROLLBACK-1"
	if err := f.db.Catalog().CreateProducts(ctx, []catalog.Product{p, p}, effects.Set{}); err == nil {
		t.Fatal("inserting the same product twice succeeded")
	}
	// The product insert succeeds, then its outbox event collides with an
	// existing event id: the product must go too.
	existing, err := f.db.Outbox().Unsent(ctx, 1)
	if err != nil || len(existing) != 1 {
		t.Fatalf("unsent: %v %v", existing, err)
	}
	ev := outbox.New(time.Now(), outbox.TopicProductChanged, p.ID, outbox.ProductChanged{ProductID: p.ID})
	ev.ID = existing[0].ID
	if err := f.db.Catalog().CreateProducts(ctx, []catalog.Product{p}, effects.Set{Events: []outbox.Message{ev}}); err == nil {
		t.Fatal("a colliding outbox event did not fail the change")
	}
	for _, tb := range tables {
		if n := countRows(t, f.db, tb); n != before[tb] {
			t.Fatalf("%s: %d rows after failed changes, had %d", tb, n, before[tb])
		}
	}
}

// eachBackend runs fn in parallel on a fresh fixture of every backend.
func eachBackend(t *testing.T, fn func(t *testing.T, b testenv.Backend, f *fixture)) {
	t.Helper()
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, b, newFixture(t, b))
		})
	}
}
