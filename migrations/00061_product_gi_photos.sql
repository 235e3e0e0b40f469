-- Products name the registered Geographical Indication they are sold under
-- (catalog.GIs' keys, checked by the catalogue) and their photos (media,
-- by SHA-256; product_photos lets the database refuse a photo that was
-- never uploaded). Clusters get a short code for their public page.
-- Products tagged GI before this version get the GI of their craft when
-- the craft has exactly one.

-- +goose Up
ALTER TABLE products ADD COLUMN gi TEXT NOT NULL DEFAULT '';
ALTER TABLE products ADD COLUMN photos TEXT NOT NULL DEFAULT '[]';
UPDATE products SET gi = CASE craft
    WHEN 'pashmina_shawl' THEN 'kashmir_pashmina'
    WHEN 'kani_shawl' THEN 'kani_shawl'
    WHEN 'sozni_embroidery' THEN 'kashmir_sozani_craft'
    WHEN 'papier_mache' THEN 'kashmir_paper_machie'
    WHEN 'walnut_wood_carving' THEN 'kashmir_walnut_wood_carving'
    WHEN 'khatamband' THEN 'khatamband'
    WHEN 'carpet' THEN 'kashmir_hand_knotted_carpet'
    WHEN 'namda' THEN 'kashmir_namda'
    WHEN 'gabba' THEN 'kashmir_gabba'
    WHEN 'crewel' THEN 'kashmir_crewel'
    WHEN 'chain_stitch' THEN 'kashmir_chain_stitch'
    ELSE '' END
WHERE gi_tag;
CREATE INDEX products_gi_idx ON products (gi) WHERE gi <> '';
CREATE TABLE product_photos (
    product_id    TEXT NOT NULL REFERENCES products (id),
    position      BIGINT NOT NULL,
    media_sha256  TEXT NOT NULL REFERENCES media (sha256),
    PRIMARY KEY (product_id, position)
);
CREATE INDEX product_photos_media_idx ON product_photos (media_sha256);
ALTER TABLE clusters ADD COLUMN code TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX clusters_code_key ON clusters (code) WHERE code <> '';

-- +goose Down
DROP INDEX clusters_code_key;
ALTER TABLE clusters DROP COLUMN code;
DROP INDEX product_photos_media_idx;
DROP TABLE product_photos;
DROP INDEX products_gi_idx;
ALTER TABLE products DROP COLUMN photos;
ALTER TABLE products DROP COLUMN gi;
