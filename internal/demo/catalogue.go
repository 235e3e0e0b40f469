package demo

import "fmt"

// The demo's catalogue: the valley's craft clusters, five artisans in each,
// and the pieces they make, priced as the corporation's showrooms price
// them. Names are common Kashmiri names; every phone number, Pehchan card
// and bank account is made up.

type clusterSeed struct {
	Code, Name, District string
	Lat, Lon             float64
	// Crafts the cluster's artisans make, the first their own.
	Crafts []string
	// Language most of its artisans read.
	Language string
	Makers   []string
}

var clusters = []clusterSeed{
	{Code: "NRB", Name: "Noorbagh", District: "Srinagar", Lat: 34.0837, Lon: 74.7804, Crafts: []string{"sozni_embroidery", "pashmina_shawl"},
		Language: "ks", Makers: []string{"Ghulam Nabi Dar", "Mohammad Yousuf Bhat", "Fayaz Ahmad Mir", "Shabir Ahmad Sofi", "Mushtaq Ahmad Ganie"}},
	{Code: "DTS", Name: "Downtown Srinagar", District: "Srinagar", Lat: 34.0961, Lon: 74.8125, Crafts: []string{"chain_stitch", "aari_embroidery", "tilla_embroidery"},
		Language: "ur", Makers: []string{"Shahida Bano", "Rubeena Akhter", "Nighat Jan", "Farooq Ahmad Shah", "Bilal Ahmad Wani"}},
	{Code: "ZDB", Name: "Zadibal", District: "Srinagar", Lat: 34.1022, Lon: 74.8001, Crafts: []string{"papier_mache"},
		Language: "ur", Makers: []string{"Syed Zahoor Hussain", "Syed Mohammad Ali", "Ashiq Hussain Rizvi", "Ghulam Mohammad Naqash", "Syed Amjad Ali"}},
	{Code: "BDP", Name: "Bandipora", District: "Bandipora", Lat: 34.4197, Lon: 74.6466, Crafts: []string{"namda", "gabba", "crewel"},
		Language: "ks", Makers: []string{"Abdul Rashid Lone", "Mohammad Shafi Parray", "Gulzar Ahmad Bhat", "Hafeeza Begum", "Zubair Ahmad Lone"}},
	{Code: "GBL", Name: "Ganderbal", District: "Ganderbal", Lat: 34.2166, Lon: 74.7795, Crafts: []string{"willow_wicker"},
		Language: "ks", Makers: []string{"Nazir Ahmad Khan", "Abdul Majeed Sheikh", "Manzoor Ahmad Dar", "Parveena Akhter", "Riyaz Ahmad Mir"}},
	{Code: "KNH", Name: "Kanihama", District: "Budgam", Lat: 34.0628, Lon: 74.6433, Crafts: []string{"kani_shawl"},
		Language: "ks", Makers: []string{"Abdul Aziz Khan", "Mohammad Ashraf Dar", "Shafeeqa Begum", "Ghulam Rasool Wani", "Tariq Ahmad Ganie"}},
	{Code: "WDC", Name: "Srinagar Old City woodcarvers", District: "Srinagar", Lat: 34.0912, Lon: 74.8123, Crafts: []string{"walnut_wood_carving", "khatamband"},
		Language: "hi", Makers: []string{"Ghulam Nabi Najar", "Showkat Ahmad Kenu", "Mehraj-ud-Din Bhat", "Rashid Ahmad Lone", "Imtiyaz Ahmad Dar"}},
}

// pieceSeed is one kind of piece a craft makes; every maker of the craft
// makes it in their own colour.
type pieceSeed struct {
	Code, Title, HSN  string
	PricePaise        int64 // the showroom's price; MRP is a tenth above
	ArtisanPricePaise int64 // what the maker is paid per piece
	// OneOfAKind pieces are kept at the maker's home until sold (a collect
	// task brings them in); MadeToOrder pieces are made when ordered.
	OneOfAKind, MadeToOrder bool
	WeightG, LengthMM       int64
	WidthMM, HeightMM       int64
	// GI is the registered Geographical Indication the piece is sold under
	// (catalog.GIs' keys), empty when its craft has none.
	GI string
}

// gstRateBP is the GST on handicrafts since 22 September 2025: 5%.
const gstRateBP = 500

var pieces = map[string][]pieceSeed{
	"pashmina_shawl": {{Code: "PSH", Title: "Pashmina shawl", HSN: "62142010", PricePaise: 18_000_00, ArtisanPricePaise: 11_000_00,
		WeightG: 180, LengthMM: 2000, WidthMM: 1000, HeightMM: 20, GI: "kashmir_pashmina"}},
	"sozni_embroidery": {
		{Code: "SZS", Title: "Sozni-embroidered pashmina stole", HSN: "62142010", PricePaise: 26_500_00, ArtisanPricePaise: 17_000_00,
			WeightG: 150, LengthMM: 1900, WidthMM: 700, HeightMM: 20, GI: "kashmir_sozani_craft"},
		{Code: "SZC", Title: "Sozni cushion covers, pair", HSN: "63049990", PricePaise: 4_200_00, ArtisanPricePaise: 2_600_00,
			WeightG: 300, LengthMM: 450, WidthMM: 450, HeightMM: 10, GI: "kashmir_sozani_craft"}},
	"chain_stitch": {{Code: "CSR", Title: "Chain-stitch rug, chinar leaves", HSN: "57050049", PricePaise: 9_500_00, ArtisanPricePaise: 6_000_00,
		WeightG: 2200, LengthMM: 1500, WidthMM: 900, HeightMM: 10}},
	"aari_embroidery": {{Code: "APH", Title: "Aari-embroidered phiran", HSN: "62114290", PricePaise: 7_800_00, ArtisanPricePaise: 4_800_00,
		WeightG: 700, LengthMM: 1200, WidthMM: 600, HeightMM: 20}},
	"tilla_embroidery": {{Code: "TPH", Title: "Tilla-work pheran", HSN: "62114290", PricePaise: 12_500_00, ArtisanPricePaise: 8_000_00,
		WeightG: 800, LengthMM: 1200, WidthMM: 600, HeightMM: 20}},
	"papier_mache": {
		{Code: "PMB", Title: "Papier-mache box, floral", HSN: "48239090", PricePaise: 1_850_00, ArtisanPricePaise: 1_100_00,
			WeightG: 250, LengthMM: 200, WidthMM: 150, HeightMM: 80, GI: "kashmir_paper_machie"},
		{Code: "PMO", Title: "Papier-mache baubles, set of six", HSN: "48239090", PricePaise: 1_200_00, ArtisanPricePaise: 700_00,
			WeightG: 150, LengthMM: 250, WidthMM: 200, HeightMM: 80, GI: "kashmir_paper_machie"},
		{Code: "PMV", Title: "Papier-mache vase, one of a kind", HSN: "48239090", PricePaise: 6_500_00, ArtisanPricePaise: 4_200_00,
			OneOfAKind: true, WeightG: 600, LengthMM: 180, WidthMM: 180, HeightMM: 350, GI: "kashmir_paper_machie"}},
	"namda": {{Code: "NMD", Title: "Namda rug, felted wool, 3 x 5 ft", HSN: "57049000", PricePaise: 5_500_00, ArtisanPricePaise: 3_300_00,
		WeightG: 2500, LengthMM: 1500, WidthMM: 900, HeightMM: 15}},
	"gabba": {{Code: "GBA", Title: "Gabba rug, 4 x 6 ft", HSN: "57050049", PricePaise: 6_800_00, ArtisanPricePaise: 4_100_00,
		WeightG: 3200, LengthMM: 1800, WidthMM: 1200, HeightMM: 15, MadeToOrder: true}},
	"crewel": {{Code: "CRW", Title: "Crewel curtain panel", HSN: "63039100", PricePaise: 8_900_00, ArtisanPricePaise: 5_400_00,
		WeightG: 1400, LengthMM: 2400, WidthMM: 1300, HeightMM: 10, GI: "kashmir_crewel"}},
	"willow_wicker": {
		{Code: "WPB", Title: "Willow wicker picnic basket", HSN: "46021990", PricePaise: 2_400_00, ArtisanPricePaise: 1_450_00,
			WeightG: 1100, LengthMM: 450, WidthMM: 300, HeightMM: 250, MadeToOrder: true},
		{Code: "KNG", Title: "Kangri, willow and clay", HSN: "46021990", PricePaise: 650_00, ArtisanPricePaise: 380_00,
			WeightG: 700, LengthMM: 220, WidthMM: 220, HeightMM: 250},
		{Code: "WLB", Title: "Willow laundry basket with lid", HSN: "46021990", PricePaise: 1_900_00, ArtisanPricePaise: 1_150_00,
			WeightG: 1300, LengthMM: 400, WidthMM: 400, HeightMM: 550}},
	"kani_shawl": {
		{Code: "KSH", Title: "Kani shawl, jamawar, one of a kind", HSN: "62142010", PricePaise: 89_000_00, ArtisanPricePaise: 60_000_00,
			OneOfAKind: true, WeightG: 350, LengthMM: 2000, WidthMM: 1000, HeightMM: 20, GI: "kani_shawl"},
		{Code: "KST", Title: "Kani stole, chinar border", HSN: "62142010", PricePaise: 32_000_00, ArtisanPricePaise: 21_000_00,
			WeightG: 200, LengthMM: 1900, WidthMM: 700, HeightMM: 20, GI: "kani_shawl"},
		{Code: "KRN", Title: "Kani table runner", HSN: "63049990", PricePaise: 9_800_00, ArtisanPricePaise: 6_300_00,
			WeightG: 250, LengthMM: 1500, WidthMM: 400, HeightMM: 10, GI: "kani_shawl"}},
	"walnut_wood_carving": {
		{Code: "WJB", Title: "Walnut wood jewellery box, carved", HSN: "44209090", PricePaise: 4_500_00, ArtisanPricePaise: 2_800_00,
			WeightG: 900, LengthMM: 250, WidthMM: 180, HeightMM: 100, GI: "kashmir_walnut_wood_carving"},
		{Code: "WTR", Title: "Walnut wood tray, chinar carving", HSN: "44199090", PricePaise: 3_200_00, ArtisanPricePaise: 2_000_00,
			WeightG: 1200, LengthMM: 400, WidthMM: 300, HeightMM: 40, GI: "kashmir_walnut_wood_carving"}},
	"khatamband": {{Code: "KTB", Title: "Khatamband ceiling panel, 2 x 2 ft", HSN: "44189900", PricePaise: 15_000_00, ArtisanPricePaise: 9_500_00,
		WeightG: 6000, LengthMM: 610, WidthMM: 610, HeightMM: 40, MadeToOrder: true, GI: "khatamband"}},
}

// colours each maker of a cluster works in, by their place in it.
var colours = []struct {
	Name string
	RGB  [3]uint8
}{
	{"natural beige", [3]uint8{214, 196, 160}}, {"maroon", [3]uint8{122, 24, 38}}, {"indigo", [3]uint8{38, 52, 120}},
	{"ivory", [3]uint8{240, 232, 210}}, {"saffron", [3]uint8{226, 138, 30}},
}

// artisanSeed and productSeed are the catalogue laid out: who, and what
// each makes.
type artisanSeed struct {
	Code, Name, Craft, Language, Phone string
	Cluster                            clusterSeed
	Index                              int
}

type productSeed struct {
	SKU, Title string
	Piece      pieceSeed
	Craft      string
	Maker      artisanSeed
	Colour     int
}

// layout lays the catalogue out: five makers per cluster, each making
// every piece of the cluster's crafts in their own colour.
func layout() ([]artisanSeed, []productSeed) {
	var as []artisanSeed
	var ps []productSeed
	for ci, c := range clusters {
		for i, name := range c.Makers {
			a := artisanSeed{Code: fmt.Sprintf("%s-%02d", c.Code, i+1), Name: name, Craft: c.Crafts[0], Cluster: c, Index: i,
				Language: c.Language, Phone: fmt.Sprintf("+91 9419%d%05d", ci, 10000+i*137)}
			// Every cluster has a maker who reads English, so the demo's
			// messages show more than one language.
			if i == 4 {
				a.Language = "en"
			}
			as = append(as, a)
			for _, craft := range c.Crafts {
				for _, p := range pieces[craft] {
					ps = append(ps, productSeed{SKU: fmt.Sprintf("%s%02d-%s", c.Code, i+1, p.Code), Piece: p, Craft: craft, Maker: a,
						Title: p.Title + ", " + colours[i%len(colours)].Name, Colour: i % len(colours)})
				}
			}
		}
	}
	return as, ps
}
