package console

import (
	"strings"
)

// Languages of the console: English, Urdu (right to left) and Hindi.
var Languages = []string{"en", "ur", "hi"}

func validLang(l string) bool {
	for _, k := range Languages {
		if l == k {
			return true
		}
	}
	return false
}

func dirOf(lang string) string {
	if lang == "ur" {
		return "rtl"
	}
	return "ltr"
}

// fromAcceptLanguage picks the browser's first language that is ours.
func fromAcceptLanguage(h string) string {
	for _, part := range strings.Split(h, ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		base := strings.SplitN(tag, "-", 2)[0]
		if validLang(base) {
			return base
		}
		if base == "ks" { // Kashmiri readers get Urdu, as the statements do
			return "ur"
		}
	}
	return "en"
}

// msg is one label in each language.
type msg struct{ en, ur, hi string }

func translate(lang, key string) string {
	m, ok := catalogue[key]
	if !ok {
		return key
	}
	switch lang {
	case "ur":
		if m.ur != "" {
			return m.ur
		}
	case "hi":
		if m.hi != "" {
			return m.hi
		}
	}
	return m.en
}

func hasKey(key string) bool { _, ok := catalogue[key]; return ok }

// catalogue is the one message catalogue of the console: every label of
// every page, in English, Urdu and Hindi (TestCatalogueIsComplete checks
// that each key a template or page uses is here in all three).
var catalogue = map[string]msg{
	"public.org":                   {"J&K Handicrafts", "جموں و کشمیر دستکاری", "जम्मू-कश्मीर हस्तशिल्प"},
	"public.footer":                {"Jammu & Kashmir Handicrafts — every piece made by hand by the artisan named on it.", "جموں و کشمیر دستکاری — ہر نمونہ اُس پر لکھے کاریگر کے ہاتھ کا بنا ہے۔", "जम्मू-कश्मीर हस्तशिल्प — हर कृति उस पर लिखे कारीगर के हाथों बनी है।"},
	"public.gi_registered":         {"Registered Geographical Indication", "رجسٹرڈ جغرافیائی نشان", "पंजीकृत भौगोलिक संकेत"},
	"public.gi_label":              {"label/certificate no.", "لیبل/سرٹیفکیٹ نمبر", "लेबल/प्रमाणपत्र संख्या"},
	"public.gi":                    {"GI", "جی آئی", "जीआई"},
	"public.buy_on":                {"Buy on", "یہاں خریدیں:", "यहाँ खरीदें:"},
	"public.not_online":            {"Not on sale online just now: ask at the corporation's showrooms.", "ابھی آن لائن فروخت پر نہیں: کارپوریشن کے شوروم میں پوچھیں۔", "अभी ऑनलाइन बिक्री पर नहीं: निगम के शोरूम में पूछें।"},
	"public.gis":                   {"Geographical Indications", "جغرافیائی نشانات", "भौगोलिक संकेत"},
	"public.gi_registry":           {"registered with the GI Registry (Chennai)", "جی آئی رجسٹری (چنئی) میں رجسٹرڈ", "जीआई रजिस्ट्री (चेन्नई) में पंजीकृत"},
	"public.authorised_user":       {"is a registered authorised user: each piece's GI label number is on its page and its tag.", "رجسٹرڈ مجاز صارف ہیں: ہر نمونے کا جی آئی لیبل نمبر اُس کے صفحے اور ٹیگ پر ہے۔", "पंजीकृत अधिकृत उपयोगकर्ता हैं: हर कृति का जीआई लेबल नंबर उसके पृष्ठ और टैग पर है।"},
	"public.pieces":                {"Pieces", "نمونے", "कृतियाँ"},
	"public.no_pieces":             {"No pieces on show just now.", "ابھی کوئی نمونہ نمائش پر نہیں۔", "अभी कोई कृति प्रदर्शन पर नहीं।"},
	"public.makers":                {"The makers", "کاریگر", "कारीगर"},
	"public.no_makers":             {"No makers listed yet.", "ابھی کوئی کاریگر درج نہیں۔", "अभी कोई कारीगर सूचीबद्ध नहीं।"},
	"public.made_by":               {"made by", "بنانے والے", "निर्माता"},
	"public.one_of_a_kind":         {"one of a kind", "اپنی نوعیت کا واحد", "अपनी तरह की अकेली"},
	"public.piece":                 {"Piece", "نمونہ", "कृति"},
	"public.maker":                 {"Maker", "بنانے والا", "निर्माता"},
	"public.cluster":               {"Cluster", "کلسٹر", "क्लस्टर"},
	"public.craft":                 {"Craft", "دستکاری", "शिल्प"},
	"public.where_to_buy":          {"Where to buy", "کہاں سے خریدیں", "कहाँ से खरीदें"},
	"public.not_on_sale":           {"This piece is not on sale: its record above is its provenance.", "یہ نمونہ فروخت کے لیے نہیں: اوپر کا ریکارڈ اس کی اصلیت کا ثبوت ہے۔", "यह कृति बिक्री के लिए नहीं है: ऊपर का विवरण इसकी उत्पत्ति का प्रमाण है।"},
	"app.name":                     {"artisanbridge", "آرٹیزن برج", "आर्टिज़न ब्रिज"},
	"lang.en":                      {"English", "English", "English"},
	"lang.ur":                      {"اردو", "اردو", "اردو"},
	"lang.hi":                      {"हिन्दी", "हिन्दी", "हिन्दी"},
	"lang.choose":                  {"Language", "زبان", "भाषा"},
	"action.save":                  {"Save", "محفوظ کریں", "सहेजें"},
	"action.search":                {"Search", "تلاش کریں", "खोजें"},
	"action.signin":                {"Sign in", "سائن اِن کریں", "साइन इन करें"},
	"action.signout":               {"Sign out", "سائن آؤٹ", "साइन आउट"},
	"action.signout_everywhere":    {"Sign out everywhere", "ہر جگہ سے سائن آؤٹ", "हर जगह से साइन आउट"},
	"action.apply":                 {"Apply", "لاگو کریں", "लागू करें"},
	"action.print":                 {"Print view", "پرنٹ کا صفحہ", "प्रिंट दृश्य"},
	"field.name":                   {"Name", "نام", "नाम"},
	"field.password":               {"Password", "پاس ورڈ", "पासवर्ड"},
	"field.sku":                    {"SKU", "ایس کے یو", "एसकेयू"},
	"field.title":                  {"Title", "عنوان", "शीर्षक"},
	"field.description":            {"Description", "تفصیل", "विवरण"},
	"field.craft":                  {"Craft", "دستکاری", "शिल्प"},
	"field.artisan":                {"Artisan (code)", "کاریگر (کوڈ)", "कारीगर (कोड)"},
	"field.hsn":                    {"HSN code", "ایچ ایس این کوڈ", "एचएसएन कोड"},
	"field.gst_bp":                 {"GST (basis points)", "جی ایس ٹی (بیسس پوائنٹس)", "जीएसटी (आधार अंक)"},
	"field.mrp":                    {"MRP (paise)", "ایم آر پی (پیسے)", "एमआरपी (पैसे)"},
	"field.price":                  {"Price (paise)", "قیمت (پیسے)", "मूल्य (पैसे)"},
	"field.artisan_price":          {"Artisan's price (paise)", "کاریگر کی قیمت (پیسے)", "कारीगर का मूल्य (पैसे)"},
	"field.status":                 {"Status", "حالت", "स्थिति"},
	"field.quantity":               {"Quantity", "تعداد", "मात्रा"},
	"field.location":               {"Location", "مقام", "स्थान"},
	"field.channel":                {"Channel", "چینل", "चैनल"},
	"field.external_id":            {"Marketplace id (FSN, ASIN)", "مارکیٹ پلیس آئی ڈی", "मार्केटप्लेस आईडी"},
	"field.message":                {"Marketplace's message", "مارکیٹ پلیس کا پیغام", "मार्केटप्लेस का संदेश"},
	"field.reason":                 {"Reason", "وجہ", "कारण"},
	"field.kind":                   {"Kind", "قسم", "प्रकार"},
	"field.task":                   {"Task", "کام", "कार्य"},
	"field.order":                  {"Order", "آرڈر", "ऑर्डर"},
	"field.tracking":               {"Tracking number", "ٹریکنگ نمبر", "ट्रैकिंग नंबर"},
	"field.carrier":                {"Courier", "کوریئر", "कूरियर"},
	"field.on_hand":                {"On hand", "موجود", "उपलब्ध"},
	"field.reserved":               {"Reserved", "محفوظ", "आरक्षित"},
	"field.version":                {"Version", "ورژن", "संस्करण"},
	"field.amount":                 {"Amount", "رقم", "राशि"},
	"field.opened":                 {"Opened", "کھولا گیا", "खोला गया"},
	"field.detail":                 {"Detail", "تفصیل", "विवरण"},
	"field.resolution":             {"What was done", "کیا کیا گیا", "क्या किया गया"},
	"field.count":                  {"Count", "تعداد", "संख्या"},
	"field.health":                 {"Health", "حالت", "स्थिति"},
	"field.queue":                  {"Queue", "قطار", "कतार"},
	"field.size":                   {"Waiting", "منتظر", "प्रतीक्षारत"},
	"field.failed":                 {"Failed", "ناکام", "विफल"},
	"field.lines":                  {"Lines", "سطریں", "पंक्तियाँ"},
	"field.maker":                  {"Maker", "بنانے والا", "निर्माता"},
	"field.created":                {"Created", "بنایا گیا", "बनाया गया"},
	"field.bank":                   {"Bank account", "بینک کھاتہ", "बैंक खाता"},
	"field.reference":              {"Reference", "حوالہ", "संदर्भ"},
	"field.min":                    {"Least amount to pay (paise)", "کم از کم ادائیگی (پیسے)", "न्यूनतम भुगतान (पैसे)"},
	"field.debits":                 {"Debits", "ڈیبٹ", "डेबिट"},
	"field.credits":                {"Credits", "کریڈٹ", "क्रेडिट"},
	"field.file":                   {"File", "فائل", "फ़ाइल"},
	"age.under_1h":                 {"Under an hour", "ایک گھنٹے سے کم", "एक घंटे से कम"},
	"age.1h_to_1d":                 {"Up to a day", "ایک دن تک", "एक दिन तक"},
	"age.1d_to_7d":                 {"Up to a week", "ایک ہفتے تک", "एक सप्ताह तक"},
	"age.over_7d":                  {"Older", "اس سے پرانے", "इससे पुराने"},
	"nav.products":                 {"Catalogue", "کیٹلاگ", "कैटलॉग"},
	"nav.new_product":              {"Product intake", "نئی مصنوعات", "उत्पाद प्रविष्टि"},
	"nav.board":                    {"Fulfilment board", "ترسیل بورڈ", "पूर्ति बोर्ड"},
	"nav.sale":                     {"Counter sale", "کاؤنٹر فروخت", "काउंटर बिक्री"},
	"nav.dashboard":                {"Dashboard", "ڈیش بورڈ", "डैशबोर्ड"},
	"nav.orders":                   {"Orders", "آرڈرز", "ऑर्डर"},
	"nav.exceptions":               {"Exceptions", "مسائل", "अपवाद"},
	"nav.reconciliations":          {"Reconciliation", "مطابقت", "मिलान"},
	"page.reconciliation":          {"Reconciliation run", "مطابقت کا دور", "मिलान रन"},
	"flash.reconciling":            {"Reconciliation started: this page shows its progress.", "مطابقت شروع: یہ صفحہ پیش رفت دکھاتا ہے۔", "मिलान शुरू: यह पृष्ठ प्रगति दिखाता है।"},
	"text.start_run":               {"Compare with the marketplace", "مارکیٹ پلیس سے موازنہ کریں", "मार्केटप्लेस से मिलाएँ"},
	"text.auto_correct":            {"Correct what differs", "فرق درست کریں", "अंतर सुधारें"},
	"text.progress":                {"Progress", "پیش رفت", "प्रगति"},
	"text.differences":             {"Differences", "فرق", "अंतर"},
	"text.ours":                    {"Ours", "ہمارا", "हमारा"},
	"text.theirs":                  {"Marketplace's", "مارکیٹ پلیس کا", "मार्केटप्लेस का"},
	"nav.imports":                  {"Imports", "درآمدات", "आयात"},
	"nav.settlements":              {"Settlements", "تصفیے", "निपटान"},
	"nav.statements":               {"Artisan statements", "کاریگروں کے گوشوارے", "कारीगर विवरण"},
	"nav.payouts":                  {"Payout batches", "ادائیگی کے بیچ", "भुगतान बैच"},
	"nav.trial_balance":            {"Trial balance", "ٹرائل بیلنس", "तलपट"},
	"nav.account":                  {"My account", "میرا کھاتہ", "मेरा खाता"},
	"page.signin":                  {"Sign in", "سائن اِن", "साइन इन"},
	"page.product":                 {"Product", "مصنوعات", "उत्पाद"},
	"page.order":                   {"Order", "آرڈر", "ऑर्डर"},
	"page.slip":                    {"Packing slip", "پیکنگ پرچی", "पैकिंग पर्ची"},
	"page.statement":               {"Artisan statement", "کاریگر کا گوشوارہ", "कारीगर विवरण"},
	"page.batch":                   {"Payout batch", "ادائیگی کا بیچ", "भुगतान बैच"},
	"page.account":                 {"My account", "میرا کھاتہ", "मेरा खाता"},
	"error.title":                  {"This could not be done", "یہ نہیں ہو سکا", "यह नहीं हो सका"},
	"error.not_found":              {"Not found", "نہیں ملا", "नहीं मिला"},
	"error.not_found_text":         {"There is no such page: use the menu.", "ایسا کوئی صفحہ نہیں: مینو استعمال کریں۔", "ऐसा कोई पृष्ठ नहीं है: मेनू का उपयोग करें।"},
	"error.signed_out":             {"You are signed out (the session ended): sign in and send the form again.", "آپ سائن آؤٹ ہیں: سائن اِن کر کے فارم دوبارہ بھیجیں۔", "आप साइन आउट हैं: साइन इन करके फ़ॉर्म फिर भेजें।"},
	"error.forbidden":              {"Your role may not do this: ask an admin if you need it.", "آپ کا کردار یہ نہیں کر سکتا: ضرورت ہو تو ایڈمن سے پوچھیں۔", "आपकी भूमिका यह नहीं कर सकती: ज़रूरत हो तो एडमिन से पूछें।"},
	"error.csrf":                   {"The form is out of date or came from another site: reload the page and send it again.", "فارم پرانا ہے یا کسی اور سائٹ سے آیا: صفحہ دوبارہ کھول کر بھیجیں۔", "फ़ॉर्म पुराना है या किसी और साइट से आया: पृष्ठ फिर से खोलकर भेजें।"},
	"error.no_idem":                {"The form has no Idempotency-Key: reload the page and send it again.", "فارم میں کلید نہیں: صفحہ دوبارہ کھول کر بھیجیں۔", "फ़ॉर्म में कुंजी नहीं है: पृष्ठ फिर से खोलकर भेजें।"},
	"error.signin":                 {"Wrong name or password: check both and try again.", "غلط نام یا پاس ورڈ: دونوں دیکھ کر دوبارہ کوشش کریں۔", "गलत नाम या पासवर्ड: दोनों जाँचकर फिर प्रयास करें।"},
	"flash.signed_out":             {"You are signed out.", "آپ سائن آؤٹ ہو گئے۔", "आप साइन आउट हो गए।"},
	"flash.saved":                  {"Saved.", "محفوظ ہو گیا۔", "सहेजा गया।"},
	"flash.stock":                  {"Stock recorded.", "اسٹاک درج ہو گیا۔", "स्टॉक दर्ज हुआ।"},
	"flash.published":              {"Sent to the marketplace: its answer shows below when it comes.", "مارکیٹ پلیس کو بھیج دیا: جواب نیچے دکھے گا۔", "मार्केटप्लेस को भेजा गया: उत्तर नीचे दिखेगा।"},
	"flash.unpublished":            {"Taken off the marketplace.", "مارکیٹ پلیس سے ہٹا دیا۔", "मार्केटप्लेस से हटाया गया।"},
	"flash.moved":                  {"The task moved on.", "کام آگے بڑھ گیا۔", "कार्य आगे बढ़ा।"},
	"flash.sold":                   {"Sale recorded; every marketplace is updated.", "فروخت درج؛ ہر مارکیٹ پلیس کو خبر دی گئی۔", "बिक्री दर्ज; हर मार्केटप्लेस अपडेट हुआ।"},
	"flash.retried":                {"Order taken in again; its exception is resolved.", "آرڈر دوبارہ لے لیا گیا؛ مسئلہ حل ہو گیا۔", "ऑर्डर फिर से लिया गया; अपवाद हल हुआ।"},
	"flash.resolved":               {"Exception resolved.", "مسئلہ حل ہو گیا۔", "अपवाद हल हुआ।"},
	"flash.imported":               {"File imported.", "فائل درآمد ہو گئی۔", "फ़ाइल आयात हुई।"},
	"flash.drafted":                {"Batch drafted: another person of finance approves it.", "بیچ تیار: فنانس کا کوئی دوسرا شخص منظور کرے۔", "बैच तैयार: वित्त का कोई दूसरा व्यक्ति स्वीकृत करे।"},
	"flash.approved":               {"Batch approved.", "بیچ منظور ہو گیا۔", "बैच स्वीकृत हुआ।"},
	"flash.photo":                  {"Photo stored; the marketplaces fetch it by its address.", "تصویر محفوظ؛ مارکیٹ پلیسز اسے پتے سے لیں گی۔", "फ़ोटो सहेजी गई; मार्केटप्लेस उसे पते से लेंगे।"},
	"flash.assigned":               {"The exception is yours now.", "یہ مسئلہ اب آپ کا ہے۔", "यह अपवाद अब आपका है।"},
	"text.add_photo":               {"Add a photo (camera or file)", "تصویر شامل کریں (کیمرا یا فائل)", "फ़ोटो जोड़ें (कैमरा या फ़ाइल)"},
	"text.mine":                    {"Only mine", "صرف میرے", "केवल मेरे"},
	"text.assigned_to":             {"Assigned", "سونپا گیا", "सौंपा गया"},
	"flash.language":               {"Language saved.", "زبان محفوظ ہو گئی۔", "भाषा सहेजी गई।"},
	"text.signed_in_as":            {"Signed in as", "سائن اِن بطور", "साइन इन:"},
	"text.role":                    {"Role", "کردار", "भूमिका"},
	"text.none":                    {"Nothing here.", "یہاں کچھ نہیں۔", "यहाँ कुछ नहीं।"},
	"text.next_page":               {"Next page", "اگلا صفحہ", "अगला पृष्ठ"},
	"text.listings":                {"On the marketplaces", "مارکیٹ پلیسز پر", "मार्केटप्लेस पर"},
	"text.publish":                 {"Publish", "شائع کریں", "प्रकाशित करें"},
	"text.unpublish":               {"Take off", "ہٹائیں", "हटाएँ"},
	"text.stock":                   {"Stock", "اسٹاک", "स्टॉक"},
	"text.stock_intake":            {"Stock intake", "اسٹاک کی آمد", "स्टॉक प्रविष्टि"},
	"text.edit":                    {"Edit", "ترمیم", "संपादन"},
	"text.photos":                  {"Photos", "تصاویر", "फ़ोटो"},
	"text.images_hint":             {"Image addresses, one a line (photo upload comes with the media service).", "تصاویر کے پتے، ہر سطر میں ایک۔", "छवि पते, हर पंक्ति में एक।"},
	"text.all":                     {"All", "سب", "सभी"},
	"text.move_to":                 {"Move to", "آگے بڑھائیں", "आगे बढ़ाएँ"},
	"text.channels":                {"Channels", "چینلز", "चैनल"},
	"text.queues":                  {"Job queues", "کام کی قطاریں", "कार्य कतारें"},
	"text.exceptions_by_kind":      {"Open exceptions by kind", "کھلے مسائل قسم کے لحاظ سے", "प्रकार अनुसार खुले अपवाद"},
	"text.orders_today":            {"Orders today", "آج کے آرڈر", "आज के ऑर्डर"},
	"text.stock_drift":             {"Stock drift (open)", "اسٹاک کا فرق (کھلا)", "स्टॉक अंतर (खुला)"},
	"text.retry":                   {"Take the order in again", "آرڈر دوبارہ لیں", "ऑर्डर फिर से लें"},
	"text.resolve":                 {"Resolve", "حل کریں", "हल करें"},
	"text.assign":                  {"Assign to me", "مجھے سونپیں", "मुझे सौंपें"},
	"text.gem_import":              {"GeM order file", "جیم آرڈر فائل", "जेम ऑर्डर फ़ाइल"},
	"text.settlement_import":       {"Settlement file", "تصفیہ فائل", "निपटान फ़ाइल"},
	"text.mismatches":              {"Open settlement mismatches", "تصفیے کے کھلے فرق", "निपटान के खुले अंतर"},
	"text.statement":               {"Statement", "گوشوارہ", "विवरण"},
	"text.draft_batch":             {"Draft a batch", "بیچ تیار کریں", "बैच तैयार करें"},
	"text.approve":                 {"Approve", "منظور کریں", "स्वीकृत करें"},
	"text.bank_file":               {"Download bank file", "بینک فائل ڈاؤن لوڈ", "बैंक फ़ाइल डाउनलोड"},
	"text.maker_checker":           {"The person who drafted a batch cannot approve it.", "بیچ تیار کرنے والا اسے منظور نہیں کر سکتا۔", "बैच बनाने वाला उसे स्वीकृत नहीं कर सकता।"},
	"text.balanced":                {"Debits equal credits.", "ڈیبٹ اور کریڈٹ برابر ہیں۔", "डेबिट और क्रेडिट बराबर हैं।"},
	"text.unbalanced":              {"Debits and credits differ: tell finance at once.", "ڈیبٹ اور کریڈٹ برابر نہیں: فوراً فنانس کو بتائیں۔", "डेबिट और क्रेडिट अलग हैं: तुरंत वित्त को बताएँ।"},
	"text.total":                   {"Total", "کل", "कुल"},
	"text.sessions":                {"Sessions", "سیشن", "सत्र"},
	"text.signout_everywhere_hint": {"Ends your sessions on every device, this one too.", "ہر آلے پر آپ کے سیشن ختم، یہ بھی۔", "हर उपकरण पर आपके सत्र समाप्त, यह भी।"},
	"text.packing_for":             {"Packing slip for order", "آرڈر کی پیکنگ پرچی", "ऑर्डर की पैकिंग पर्ची"},
	"text.made_by":                 {"Made by", "بنانے والا", "निर्माता"},
	"text.no_js":                   {"This console works without JavaScript.", "یہ کنسول جاوا اسکرپٹ کے بغیر چلتا ہے۔", "यह कंसोल जावास्क्रिप्ट के बिना चलता है।"},
	"status.pending":               {"waiting for the marketplace", "مارکیٹ پلیس کا انتظار", "मार्केटप्लेस की प्रतीक्षा"},
	"status.live":                  {"live: buyers can see it", "لائیو: خریدار دیکھ سکتے ہیں", "लाइव: खरीदार देख सकते हैं"},
	"status.rejected":              {"refused by the marketplace", "مارکیٹ پلیس نے رد کیا", "मार्केटप्लेस ने अस्वीकार किया"},
	"status.paused":                {"paused (not offered)", "روکا گیا", "रोका गया"},
	"status.error":                 {"could not be sent; it is retried", "نہیں بھیجا جا سکا؛ دوبارہ کوشش ہو رہی ہے", "भेजा नहीं जा सका; फिर प्रयास हो रहा है"},
	"status.awaiting_upload":       {"file ready: upload it on the portal", "فائل تیار: پورٹل پر اپ لوڈ کریں", "फ़ाइल तैयार: पोर्टल पर अपलोड करें"},
	"status.not_listed":            {"not listed", "درج نہیں", "सूचीबद्ध नहीं"},
}

// Translate is the catalogue for the public pages (package showcase reads
// its labels here, so that the console and the public pages speak from
// one catalogue).
func Translate(lang, key string) string { return translate(lang, key) }

// Dir is the writing direction of a language: rtl for Urdu.
func Dir(lang string) string { return dirOf(lang) }

// ChooseLanguage picks a visitor's language: the ?lang= of a link, else
// the one remembered in the language cookie, else the browser's
// Accept-Language, else English.
func ChooseLanguage(query, remembered, acceptLanguage string) string {
	switch {
	case validLang(query):
		return query
	case validLang(remembered):
		return remembered
	}
	return fromAcceptLanguage(acceptLanguage)
}

// PublicLabels is the catalogue as package showcase reads it.
type PublicLabels struct{}

// Translate is Translate.
func (PublicLabels) Translate(lang, key string) string { return translate(lang, key) }

// Dir is Dir.
func (PublicLabels) Dir(lang string) string { return dirOf(lang) }

// ChooseLanguage is ChooseLanguage.
func (PublicLabels) ChooseLanguage(query, remembered, acceptLanguage string) string {
	return ChooseLanguage(query, remembered, acceptLanguage)
}
