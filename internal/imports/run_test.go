package imports_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/imports"
	"github.com/jkhhc/artisanbridge/internal/jobs"
	"github.com/jkhhc/artisanbridge/internal/outbox"
	"github.com/jkhhc/artisanbridge/internal/reqctx"
	"github.com/jkhhc/artisanbridge/internal/secrets"
	"github.com/jkhhc/artisanbridge/internal/store"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

var errCrash = errors.New("simulated crash")

// crashing is the store of a process that dies at one write: before its
// transaction commits (nothing of it stays) or just after (it stays, and
// the process never learns of it).
type crashing struct {
	imports.Store
	mu           sync.Mutex
	saves, apply int
	crashSave    int
	crashApply   int
	afterCommit  bool
}

func (c *crashing) SaveValidated(ctx context.Context, v imports.Validated) (bool, error) {
	c.mu.Lock()
	c.saves++
	n := c.saves
	c.mu.Unlock()
	if n == c.crashSave {
		if c.afterCommit {
			c.Store.SaveValidated(ctx, v) //nolint:errcheck // the crash hides its result
		}
		return false, errCrash
	}
	return c.Store.SaveValidated(ctx, v)
}

func (c *crashing) Apply(ctx context.Context, b imports.Batch) (bool, error) {
	c.mu.Lock()
	c.apply++
	n := c.apply
	c.mu.Unlock()
	if n == c.crashApply {
		if c.afterCommit {
			c.Store.Apply(ctx, b) //nolint:errcheck // the crash hides its result
		}
		return false, errCrash
	}
	return c.Store.Apply(ctx, b)
}

type env struct {
	db   *store.DB
	ring *secrets.Keyring
	cat  *catalog.Service
	ctx  context.Context
}

func newEnv(t testing.TB, b testenv.Backend) env {
	t.Helper()
	db, _ := b.Open(t)
	ring, err := secrets.ParseMasterKey(secrets.GenerateMasterKey("k1"))
	if err != nil {
		t.Fatal(err)
	}
	crafts, _ := catalog.NewCrafts()
	ctx := reqctx.WithActor(context.Background(), reqctx.Actor{ID: "u-1", Name: "Showroom Staff", Role: "showroom"})
	return env{db: db, ring: ring, cat: catalog.NewService(db.Catalog(), ring, crafts, nil), ctx: ctx}
}

func (e env) count(t testing.TB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := e.db.Gorm().Raw(q, args...).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// runToEnd runs an import as the worker would, run after run, until done.
func runToEnd(t *testing.T, svc *imports.Service, ctx context.Context, id string) imports.Import {
	t.Helper()
	for range 10000 {
		done, err := svc.Run(ctx, id)
		if err != nil {
			t.Fatalf("run: %v", err)
		}
		if done {
			imp, err := svc.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return imp
		}
	}
	t.Fatal("the import never finished")
	return imports.Import{}
}

func productSheet(n int, existing map[string]bool) string {
	var b strings.Builder
	b.WriteString("sku,title,craft,hsn_code,gst_rate_bp,mrp_paise,price_paise,artisan_code,artisan_price_paise\n")
	for i := range n {
		sku := fmt.Sprintf("PM-%05d", i)
		title := "Papier-mache box " + sku
		if existing[sku] && i%2 == 0 {
			title = "Renamed " + sku // an update; odd ones are unchanged
		}
		fmt.Fprintf(&b, "%s,%s,papier_mache,4823,500,120000,99000,PM-9,60000\n", sku, title)
		if i%97 == 0 {
			b.WriteString(",,,,,,,,\n") // blank rows are passed over
		}
	}
	return b.String()
}

// TestCrashResumes: a worker killed in the middle of an import, in
// validation or while applying, before or after a batch commits, is
// resumed by the next run from the committed cursor: every row applied
// once, none missed, each with one audit entry and one announcement.
func TestCrashResumes(t *testing.T) {
	for _, b := range testenv.Backends() {
		for _, tc := range []struct {
			name                  string
			crashSave, crashApply int
			after                 bool
		}{
			{"validation, before commit", 3, 0, false},
			{"validation, after commit", 3, 0, true},
			{"apply, before commit", 0, 4, false},
			{"apply, after commit", 0, 4, true},
		} {
			t.Run(b.Name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				e := newEnv(t, b)
				maker, err := e.cat.CreateArtisan(e.ctx, catalog.ArtisanInput{Code: ptr("PM-9"), Name: ptr("Shabir"), Craft: ptr("papier_mache")})
				if err != nil {
					t.Fatal(err)
				}
				existing := map[string]bool{}
				for i := 100; i < 110; i++ {
					sku := fmt.Sprintf("PM-%05d", i)
					existing[sku] = true
					if _, err := e.cat.CreateProduct(e.ctx, catalog.ProductInput{SKU: &sku, Title: ptr("Papier-mache box " + sku), Craft: ptr("papier_mache"),
						HSNCode: ptr("4823"), GSTRateBP: i64(500), MRPPaise: i64(120000), PricePaise: i64(99000), ArtisanID: &maker.ID, ArtisanPricePaise: i64(60000)}); err != nil {
						t.Fatal(err)
					}
				}
				const n = 1000
				opts := imports.Options{ValidateBatch: 150, ApplyBatch: 100, Slice: time.Nanosecond}
				crash := &crashing{Store: e.db.Imports(), crashSave: tc.crashSave, crashApply: tc.crashApply, afterCommit: tc.after}
				first := imports.NewService(crash, e.cat, nil, nil, opts)
				imp, err := first.Upload(e.ctx, imports.KindProducts, "catalogue.csv", strings.NewReader(productSheet(n, existing)))
				if err != nil {
					t.Fatal(err)
				}
				if imp.Status != imports.StatusValidating {
					t.Fatalf("uploaded import is %s", imp.Status)
				}
				var crashed bool
				for range 1000 {
					done, err := first.Run(context.Background(), imp.ID)
					if errors.Is(err, errCrash) {
						crashed = true
						break
					}
					if err != nil || done {
						t.Fatalf("the first worker ended without crashing: done %v err %v", done, err)
					}
				}
				if !crashed {
					t.Fatal("no crash")
				}
				// A new process takes the import up.
				second := imports.NewService(e.db.Imports(), e.cat, nil, nil, opts)
				got := runToEnd(t, second, context.Background(), imp.ID)
				if got.Status != imports.StatusDone || got.Failed != 0 || got.ErrorCount != 0 {
					t.Fatalf("import ended %s: %+v", got.Status, got)
				}
				if got.Created != n-10 || got.Updated != 5 || got.Unchanged != 5 || got.RowsApplied != got.RowsTotal || got.ProgressPct != 100 {
					t.Fatalf("counts: %+v", got)
				}
				if p := e.count(t, `SELECT COUNT(*) FROM products`); p != n {
					t.Fatalf("%d products, want %d", p, n)
				}
				if a := e.count(t, `SELECT COUNT(*) FROM audit_log WHERE resource = 'product' AND action = 'create'`); a != n {
					t.Fatalf("%d create audit entries, want %d (one per product)", a, n)
				}
				if a := e.count(t, `SELECT COUNT(*) FROM audit_log WHERE resource = 'product' AND action = 'update' AND actor_id = 'u-1'`); a != 5 {
					t.Fatalf("%d update audit entries by the uploader, want 5", a)
				}
				if ev := e.count(t, `SELECT COUNT(*) FROM outbox WHERE topic = 'catalog.product_changed'`); ev != n+5 {
					t.Fatalf("%d product events, want %d", ev, n+5)
				}
				if r := e.count(t, `SELECT COUNT(*) FROM products WHERE title LIKE 'Renamed %'`); r != 5 {
					t.Fatalf("%d renamed products, want 5", r)
				}
				if c := e.count(t, `SELECT COUNT(*) FROM import_chunks WHERE import_id = ?`, imp.ID); c != 0 {
					t.Fatalf("%d file pieces kept after the import", c)
				}
			})
		}
	}
}

// TestTwoRunnersAtOnce: two workers running one import together (a
// redelivered task) apply every row once.
func TestTwoRunnersAtOnce(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, b)
			if _, err := e.cat.CreateArtisan(e.ctx, catalog.ArtisanInput{Code: ptr("PM-9"), Name: ptr("Shabir"), Craft: ptr("papier_mache")}); err != nil {
				t.Fatal(err)
			}
			svc := imports.NewService(e.db.Imports(), e.cat, nil, nil, imports.Options{ValidateBatch: 100, ApplyBatch: 50})
			imp, err := svc.Upload(e.ctx, imports.KindProducts, "catalogue.csv", strings.NewReader(productSheet(600, nil)))
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := svc.Run(context.Background(), imp.ID); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			got := runToEnd(t, svc, context.Background(), imp.ID)
			if got.Created != 600 || e.count(t, `SELECT COUNT(*) FROM products`) != 600 ||
				e.count(t, `SELECT COUNT(*) FROM audit_log WHERE resource = 'product'`) != 600 {
				t.Fatalf("two runners: %+v", got)
			}
		})
	}
}

// TestArtisanSurveySheet: the department's sheet, with its own header
// names, creates and updates artisans; bank numbers are sealed as the API
// seals them and never shown; a sheet with bad cells is refused whole,
// every bad cell named, nothing applied.
func TestArtisanSurveySheet(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, b)
			cl, err := e.cat.CreateCluster(e.ctx, catalog.NewCluster{Name: "Kanihama", Craft: "kani_shawl", District: "Budgam"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.cat.CreateArtisan(e.ctx, catalog.ArtisanInput{Code: ptr("KN-1"), Name: ptr("Old Name"), Craft: ptr("kani_shawl"),
				BankAccountNumber: ptr("123456789012"), BankIFSC: ptr("JAKA0SRNGAR")}); err != nil {
				t.Fatal(err)
			}
			svc := imports.NewService(e.db.Imports(), e.cat, nil, nil, imports.Options{})
			bad := "Artisan Code,Name,Craft,Cluster Name,District,Mobile,Pehchan Card,GI Authorised User No,Bank Account,IFSC,Language\n" +
				"KN-2,Ghulam Nabi,kani_shawl,Kanihama,Budgam,9419012345,PC/2020/1234,GI-AU-5678,987654321098,JAKA0KANIHM,ks\n" +
				"KN-3,Rafiq,kani_shawl,Nowhere,Budgam,12345,P1,x,12,NOTIFSC,fr\n" +
				"KN-2,Again,kani_shawl,Kanihama,Budgam,,,,,,\n"
			imp, err := svc.Upload(e.ctx, imports.KindArtisans, "survey.csv", strings.NewReader(bad))
			if err != nil {
				t.Fatal(err)
			}
			got := runToEnd(t, svc, context.Background(), imp.ID)
			if got.Status != imports.StatusRejected || got.Failed != 2 || got.Created != 0 {
				t.Fatalf("bad sheet: %+v", got)
			}
			var report bytes.Buffer
			if err := svc.WriteErrors(context.Background(), imp.ID, &report); err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"3,cluster,Nowhere,", "3,phone,12345,", "3,pehchan_card_no,P1,", "3,gi_authorised_user_no,x,", "3,bank_account_number,XX,",
				"3,bank_ifsc,NOTIFSC,", "3,language,fr,", "4,code,KN-2,repeats the code of row 2"} {
				if !strings.Contains(report.String(), want) {
					t.Errorf("report lacks %q:\n%s", want, report.String())
				}
			}
			if e.count(t, `SELECT COUNT(*) FROM artisans`) != 1 {
				t.Fatal("a refused sheet registered artisans")
			}
			good := "code,name,craft,cluster,district,phone,pehchan_card_no,gi_authorised_user_no,bank_account_number,bank_ifsc,language\n" +
				"KN-1,Old Name,kani_shawl,,,,,,123456789012,JAKA0SRNGAR,\n" + // the account on record: unchanged
				"kn-2,Ghulam Nabi,kani_shawl,Kanihama,Budgam,9419012345,PC/2020/1234,GI-AU-5678,9876 5432 1098,JAKA0KANIHM,ks\n"
			imp, err = svc.Upload(e.ctx, imports.KindArtisans, "survey.csv", strings.NewReader(good))
			if err != nil {
				t.Fatal(err)
			}
			got = runToEnd(t, svc, context.Background(), imp.ID)
			if got.Status != imports.StatusDone || got.Created != 1 || got.Unchanged != 1 {
				t.Fatalf("good sheet: %+v", got)
			}
			id, err := e.db.Catalog().ArtisanIDByCode(context.Background(), "KN-2")
			if err != nil {
				t.Fatal(err)
			}
			a, err := e.cat.GetArtisan(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if a.ClusterID == nil || *a.ClusterID != cl.ID || a.Phone == "" || a.BankAccountMasked == "" || strings.Contains(a.BankAccountMasked, "98765") {
				t.Fatalf("imported artisan: %+v", a)
			}
			sealed, err := e.db.Catalog().BankAccountSealed(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			plain, err := e.ring.Open(sealed, []byte(id))
			if err != nil || string(plain) != "987654321098" {
				t.Fatalf("sealed account opens to %q, %v", plain, err)
			}
			if n := e.count(t, `SELECT COUNT(*) FROM audit_log WHERE after_json LIKE '%987654321098%' OR after_json LIKE '%123456789012%'`); n != 0 {
				t.Fatalf("%d audit entries carry a bank number", n)
			}
		})
	}
}

var clusterKanihama = catalog.NewCluster{Name: "Kanihama", Craft: "kani_shawl", District: "Budgam"}

func ptr(s string) *string { return &s }
func i64(n int64) *int64   { return &n }

// TestAbandonedUploadPruned: an upload a crash cut off (left uploading)
// is forgotten with its pieces after a day; a queued import is kept.
func TestAbandonedUploadPruned(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, b)
			st := e.db.Imports()
			old := imports.Import{ID: "0190a000-0000-7000-8000-000000000001", Kind: imports.KindProducts, Status: imports.StatusUploading,
				FileName: "x.csv", Format: "csv", CreatedAt: time.Now().Add(-48 * time.Hour), UpdatedAt: time.Now().Add(-48 * time.Hour)}
			if err := st.Create(context.Background(), old); err != nil {
				t.Fatal(err)
			}
			if err := st.AppendChunk(context.Background(), old.ID, 0, []byte("sku\n")); err != nil {
				t.Fatal(err)
			}
			svc := imports.NewService(st, e.cat, nil, nil, imports.Options{})
			kept, err := svc.Upload(e.ctx, imports.KindProducts, "y.csv", strings.NewReader("sku\n"))
			if err != nil {
				t.Fatal(err)
			}
			n, err := st.PruneUploads(context.Background(), time.Now().Add(-24*time.Hour))
			if err != nil || n != 1 {
				t.Fatalf("pruned %d, %v", n, err)
			}
			if e.count(t, `SELECT COUNT(*) FROM import_chunks WHERE import_id = ?`, old.ID) != 0 {
				t.Fatal("the abandoned pieces stayed")
			}
			if _, err := svc.Get(context.Background(), kept.ID); err != nil {
				t.Fatalf("the queued import went too: %v", err)
			}
		})
	}
}

// TestRunnerHandsOn: the worker's consumer works one slice per event and
// queues the next run through the outbox until the import is through.
func TestRunnerHandsOn(t *testing.T) {
	e := newEnv(t, testenv.Backends()[0])
	if _, err := e.cat.CreateArtisan(e.ctx, catalog.ArtisanInput{Code: ptr("PM-9"), Name: ptr("Shabir"), Craft: ptr("papier_mache")}); err != nil {
		t.Fatal(err)
	}
	svc := imports.NewService(e.db.Imports(), e.cat, nil, nil, imports.Options{ValidateBatch: 100, ApplyBatch: 100, Slice: time.Nanosecond})
	imp, err := svc.Upload(e.ctx, imports.KindProducts, "catalogue.csv", strings.NewReader(productSheet(250, nil)))
	if err != nil {
		t.Fatal(err)
	}
	runner := jobs.ImportRunner{Imports: svc}
	for i := range 50 {
		unsent, err := e.db.Outbox().Unsent(context.Background(), 1000)
		if err != nil {
			t.Fatal(err)
		}
		var next []outbox.Message
		for _, m := range unsent {
			if m.Topic == imports.TopicRun {
				next = append(next, m)
			} else if err := e.db.Outbox().MarkSent(context.Background(), m.ID, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		if len(next) == 0 {
			break
		}
		for _, m := range next {
			if err := runner.Consume(context.Background(), m); err != nil {
				t.Fatalf("run %d: %v", i, err)
			}
			if err := e.db.Outbox().MarkSent(context.Background(), m.ID, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err := svc.Get(context.Background(), imp.ID)
	if err != nil || got.Status != imports.StatusDone || got.Created != 250 {
		t.Fatalf("after the runs: %+v %v", got, err)
	}
	if runs := e.count(t, `SELECT COUNT(*) FROM outbox WHERE topic = ?`, imports.TopicRun); runs < 3 {
		t.Fatalf("%d runs: the import was not handed on", runs)
	}
}

// TestBadHeaderReportedOnce: a file whose header is wrong is rejected with
// each header problem named once, however many runs look at it.
func TestBadHeaderReportedOnce(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, b)
			crash := &crashing{Store: e.db.Imports()}
			svc := imports.NewService(crash, e.cat, nil, nil, imports.Options{})
			imp, err := svc.Upload(e.ctx, imports.KindProducts, "x.csv", strings.NewReader("titel,sku,sku\nA,B,C\n"))
			if err != nil {
				t.Fatal(err)
			}
			// The first run dies after saving the errors, before ending validation.
			crash.crashSave, crash.afterCommit = 1, true
			if _, err := svc.Run(context.Background(), imp.ID); !errors.Is(err, errCrash) {
				t.Fatalf("no crash: %v", err)
			}
			got := runToEnd(t, svc, context.Background(), imp.ID)
			var report bytes.Buffer
			if err := svc.WriteErrors(context.Background(), imp.ID, &report); err != nil {
				t.Fatal(err)
			}
			if got.Status != imports.StatusRejected || got.ErrorCount != 2 || strings.Count(report.String(), "\n") != 3 {
				t.Fatalf("%+v\n%s", got, report.String())
			}
		})
	}
}
