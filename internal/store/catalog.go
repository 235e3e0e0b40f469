package store

import (
	"context"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/effects"
	"github.com/jkhhc/artisanbridge/internal/paging"
	"github.com/jkhhc/artisanbridge/internal/search"
	"github.com/jkhhc/artisanbridge/migrations"
)

// Catalog implements catalog.Store.
type Catalog struct{ db *DB }

// Catalog returns the catalogue repository.
func (db *DB) Catalog() *Catalog { return &Catalog{db: db} }

var _ catalog.Store = (*Catalog)(nil)

func (c *Catalog) CreateCluster(ctx context.Context, cl catalog.Cluster, fx effects.Set) error {
	row := clusterRow{ID: cl.ID, Code: cl.Code, Name: cl.Name, Craft: cl.Craft, District: cl.District, Lat: cl.Lat, Lon: cl.Lon, CreatedAt: cl.CreatedAt.UTC()}
	return c.db.inTx(ctx, time.Time{}, func(tx *Tx) error {
		tx.Add(fx)
		return tx.Create(&row).Error
	})
}

func (c *Catalog) ListClusters(ctx context.Context, p paging.Request) (paging.Page[catalog.Cluster], error) {
	var rows []clusterRow
	if err := keyset(c.db.gorm.WithContext(ctx), p).Find(&rows).Error; err != nil {
		return paging.Page[catalog.Cluster]{}, err
	}
	return paging.Build(mapRows(rows, clusterRow.domain), p.Limit, func(x catalog.Cluster) string { return x.ID }), nil
}

func (c *Catalog) ClusterExists(ctx context.Context, id string) (bool, error) {
	var n int64
	err := c.db.gorm.WithContext(ctx).Model(&clusterRow{}).Where("id = ?", id).Count(&n).Error
	return n > 0, err
}

func (c *Catalog) GetCluster(ctx context.Context, ref string, byCode bool) (catalog.Cluster, error) {
	col := "id"
	if byCode {
		col = "code"
	}
	var row clusterRow
	if err := c.db.gorm.WithContext(ctx).Where(col+" = ?", ref).Take(&row).Error; err != nil {
		return catalog.Cluster{}, notFound(err, "no cluster %s", ref)
	}
	return row.domain(), nil
}

func (c *Catalog) CreateArtisan(ctx context.Context, a catalog.Artisan, acct catalog.SealedAccount, fx effects.Set) error {
	row := artisanRowFrom(a, acct)
	return c.db.inTx(ctx, time.Time{}, func(tx *Tx) error {
		tx.Add(fx)
		return tx.Create(&row).Error
	})
}

func (c *Catalog) UpdateArtisan(ctx context.Context, a catalog.Artisan, acct *catalog.SealedAccount, fx effects.Set) error {
	return c.db.inTx(ctx, time.Time{}, func(tx *Tx) error {
		tx.Add(fx)
		cols := map[string]any{
			"name": a.Name, "craft": a.Craft, "cluster_id": a.ClusterID, "district": a.District, "phone": a.Phone,
			"language": a.Language, "pehchan_card_no": a.PehchanCardNo, "gi_authorised_user_no": a.GIAuthorisedUserNo,
			"bank_ifsc": a.BankIFSC, "status": a.Status, "version": a.Version, "updated_at": a.UpdatedAt.UTC(),
		}
		if acct != nil {
			cols["bank_account_sealed"] = acct.Sealed
			cols["bank_account_last4"] = acct.Last4
		}
		res := tx.Model(&artisanRow{}).Where("id = ? AND version = ?", a.ID, a.Version-1).Updates(cols)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return apperr.New(apperr.Conflict, "artisan %s was changed by someone else: reload and retry", a.ID)
		}
		return nil
	})
}

func (c *Catalog) GetArtisan(ctx context.Context, id string) (catalog.Artisan, error) {
	var row artisanRow
	if err := c.db.gorm.WithContext(ctx).Select(artisanShown).Where("id = ?", id).Take(&row).Error; err != nil {
		return catalog.Artisan{}, notFound(err, "artisan %s not found", id)
	}
	return row.domain(), nil
}

func (c *Catalog) ArtisanIDByCode(ctx context.Context, code string) (string, error) {
	var row artisanRow
	if err := c.db.gorm.WithContext(ctx).Select("id").Where("code = ?", code).Take(&row).Error; err != nil {
		return "", notFound(err, "no artisan has code %s", code)
	}
	return row.ID, nil
}

func (c *Catalog) ListArtisans(ctx context.Context, f catalog.ArtisanFilter, p paging.Request) (paging.Page[catalog.Artisan], error) {
	var q pageQuery
	q.whereIf("cluster_id = ?", f.ClusterID)
	q.whereIf("craft = ?", f.Craft)
	q.whereIf("status = ?", f.Status)
	c.db.matching(&q, "artisan", f.Search, p, f.ClusterID == "" && f.Craft == "" && f.Status == "")
	rows, err := findPage[artisanRow](c.db.gorm.WithContext(ctx), q, p)
	if err != nil {
		return paging.Page[catalog.Artisan]{}, err
	}
	return paging.Build(mapRows(rows, artisanRow.domain), p.Limit, func(x catalog.Artisan) string { return x.ID }), nil
}

// BankAccountSealed returns the stored ciphertext of an artisan's account;
// only the payout bank file ever opens it.
func (c *Catalog) BankAccountSealed(ctx context.Context, id string) (string, error) {
	var row artisanRow
	if err := c.db.gorm.WithContext(ctx).Select("bank_account_sealed").Where("id = ?", id).Take(&row).Error; err != nil {
		return "", notFound(err, "artisan %s not found", id)
	}
	return row.BankAccountSealed, nil
}

func (c *Catalog) CreateProducts(ctx context.Context, ps []catalog.Product, fx effects.Set) error {
	rows := make([]productRow, len(ps))
	for i, p := range ps {
		rows[i] = productRowFrom(p)
	}
	return c.db.inTx(ctx, time.Time{}, func(tx *Tx) error {
		tx.Add(fx)
		if err := tx.CreateInBatches(&rows, 200).Error; err != nil {
			return err
		}
		for _, p := range ps {
			if err := writePhotos(tx, p); err != nil {
				return err
			}
		}
		return nil
	})
}

func (c *Catalog) UpdateProduct(ctx context.Context, p catalog.Product, fx effects.Set) error {
	row := productRowFrom(p)
	return c.db.inTx(ctx, time.Time{}, func(tx *Tx) error {
		tx.Add(fx)
		res := tx.Model(&productRow{}).Where("id = ? AND version = ?", p.ID, p.Version-1).Select("*").Omit("id", "sku", "created_at").Updates(&row)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return apperr.New(apperr.Conflict, "product %s was changed by someone else: reload and retry", p.ID)
		}
		if err := tx.Where("product_id = ?", p.ID).Delete(&productPhotoRow{}).Error; err != nil {
			return err
		}
		return writePhotos(tx, p)
	})
}

// productPhotoRow lets the database refuse a product photo that was never
// uploaded: it refers to media by hash.
type productPhotoRow struct {
	ProductID   string `gorm:"primaryKey"`
	Position    int64  `gorm:"primaryKey"`
	MediaSHA256 string `gorm:"column:media_sha256"`
}

func (productPhotoRow) TableName() string { return "product_photos" }

func writePhotos(tx *Tx, p catalog.Product) error {
	for i, sha := range p.Photos {
		if err := tx.Create(&productPhotoRow{ProductID: p.ID, Position: int64(i), MediaSHA256: sha}).Error; err != nil {
			if apperr.CodeOf(translate(err)) == apperr.Unprocessable {
				return &apperr.Error{Code: apperr.Unprocessable, Message: "photo " + strconv.Itoa(i+1) + " was never uploaded",
					Fields: map[string]string{"photos": "photo " + strconv.Itoa(i+1) + " (" + sha + ") was never uploaded: POST it to /api/v1/media first"}}
			}
			return err
		}
	}
	return nil
}

func (c *Catalog) GetProduct(ctx context.Context, id string) (catalog.Product, error) {
	var row productRow
	if err := c.db.gorm.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return catalog.Product{}, notFound(err, "product %s not found", id)
	}
	return row.domain(), nil
}

func (c *Catalog) ListProducts(ctx context.Context, f catalog.ProductFilter, p paging.Request) (paging.Page[catalog.Product], error) {
	var q pageQuery
	q.whereIf("artisan_id = ?", f.ArtisanID)
	q.whereIf("craft = ?", f.Craft)
	q.whereIf("status = ?", f.Status)
	q.whereIf("sku = ?", f.SKU)
	c.db.matching(&q, "product", f.Search, p, f.ArtisanID == "" && f.Craft == "" && f.Status == "" && f.SKU == "")
	rows, err := findPage[productRow](c.db.gorm.WithContext(ctx), q, p)
	if err != nil {
		return paging.Page[catalog.Product]{}, err
	}
	return paging.Build(mapRows(rows, productRow.domain), p.Limit, func(x catalog.Product) string { return x.ID }), nil
}

func (c *Catalog) ExistingSKUs(ctx context.Context, skus []string) (map[string]bool, error) {
	out := map[string]bool{}
	for start := 0; start < len(skus); start += 500 {
		end := min(start+500, len(skus))
		var found []string
		if err := c.db.gorm.WithContext(ctx).Model(&productRow{}).Where("sku IN ?", skus[start:end]).Pluck("sku", &found).Error; err != nil {
			return nil, err
		}
		for _, s := range found {
			out[s] = true
		}
	}
	return out, nil
}

func (c *Catalog) ChannelExists(ctx context.Context, id string) (bool, error) {
	var n int64
	err := c.db.gorm.WithContext(ctx).Model(&channelRow{}).Where("id = ?", id).Count(&n).Error
	return n > 0, err
}

// keyset orders by id and fetches one row more than the page, which only
// tells whether a next page exists.
func keyset(q *gorm.DB, p paging.Request) *gorm.DB {
	if p.After != "" {
		q = q.Where("id > ?", p.After)
	}
	return q.Order("id").Limit(p.Limit + 1)
}

// matching keeps the rows whose search document (product_search or
// artisan_search, kept by triggers: migrations/search.go) holds every word
// of s: a GIN index on the stored tsvector on PostgreSQL
// (migrations/searchvector.go), FTS5 on SQLite.
//
// On PostgreSQL a search with no other filter takes its page from the
// search table alone, in two parts, so that neither a common word nor a
// rare one costs a walk of the catalogue: first the id order is walked
// for at most searchWindow documents (a common word fills the page in a
// few hundred); only if that window holds less than a page are the
// matches beyond it taken from the GIN index (a bitmap of few rows) and
// sorted. Left to itself the planner walks the id order for any word it
// guesses common enough, and its guess for a combination of words
// (independent, it assumes) can be a few hundred where there is none:
// a walk of every document for nothing.
func (db *DB) matching(q *pageQuery, kind string, s search.Query, p paging.Request, alone bool) {
	if s.Empty() {
		return
	}
	key, table := kind+"_id", kind+"_search"
	if db.dialect != migrations.Postgres {
		q.where("id IN (SELECT "+key+" FROM "+table+" WHERE rid IN (SELECT rowid FROM "+kind+"_search_fts WHERE "+kind+"_search_fts MATCH ?))", s.FTS5())
		return
	}
	tsq := s.TSQuery()
	if !alone {
		q.where("id IN (SELECT "+key+" FROM "+table+" WHERE tsv @@ to_tsquery('simple', ?))", tsq)
		return
	}
	window, n := db.window(), p.Limit+1
	page := `WITH head AS MATERIALIZED (
    SELECT ` + key + ` FROM (SELECT ` + key + `, tsv FROM ` + table + ` WHERE ` + key + ` > ? ORDER BY ` + key + ` LIMIT ?) w
    WHERE tsv @@ to_tsquery('simple', ?) ORDER BY ` + key + ` LIMIT ?)
SELECT ` + key + ` FROM head
UNION ALL
SELECT ` + key + ` FROM (SELECT s.` + key + ` FROM ` + table + ` s WHERE s.tsv @@ to_tsquery('simple', ?)
    AND s.` + key + ` > (SELECT ` + key + ` FROM ` + table + ` WHERE ` + key + ` > ? ORDER BY ` + key + ` OFFSET ? LIMIT 1)
    AND (SELECT count(*) FROM head) < ? OFFSET 0) rest
ORDER BY 1 LIMIT ?`
	q.where("id IN ("+page+")", p.After, window, tsq, n, tsq, p.After, window-1, n, n)
}

// searchWindow is how many documents a search walks in id order before
// it takes the rest of its page from the index (matching).
const searchWindow = 2000

func (db *DB) window() int {
	if db.searchWindow > 0 {
		return db.searchWindow
	}
	return searchWindow
}

func whereIf(q *gorm.DB, cond, v string) *gorm.DB {
	if v == "" {
		return q
	}
	return q.Where(cond, v)
}

func mapRows[R, T any](rows []R, f func(R) T) []T {
	out := make([]T, len(rows))
	for i, r := range rows {
		out[i] = f(r)
	}
	return out
}

func notFound(err error, format string, args ...any) error {
	if err == gorm.ErrRecordNotFound {
		return apperr.New(apperr.NotFound, format, args...)
	}
	return err
}
