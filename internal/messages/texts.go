package messages

// The built-in texts. Rules for every text: short, plain words, the
// corporation's name first (as DLT headers are read), no abbreviation an
// artisan must decode, the order reference and SKU as the showroom staff
// will read them back, amounts with Indian grouping, dates as day and month.
//
// NEEDS REVIEW: every Hindi (Devanagari), Urdu (Arabic script) and Kashmiri
// (Perso-Arabic script) text below is a draft that a native speaker must
// check before the corporation registers it on DLT; NeedsReview stays true
// on them until that review is done and recorded here. The variables'
// order differs between languages where the grammar puts them elsewhere;
// each template names its variables in its own order.
func builtin() []Template {
	en := func(e Event, text string, vars ...string) Template {
		return Template{Event: e, Language: English, Text: text, Vars: vars}
	}
	draft := func(l Language, e Event, text string, vars ...string) Template {
		return Template{Event: e, Language: l, Text: text, Vars: vars, NeedsReview: true}
	}
	item := []string{"quantity", "title", "sku"}
	cat := func(parts ...[]string) []string {
		var out []string
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	order := []string{"channel", "order_ref"}
	return []Template{
		// A piece held in a showroom sold.
		en(EventOrderPick, "JKHHC: your {#var#} x {#var#} ({#var#}) sold, {#var#} order {#var#}. Payment follows after delivery.", cat(item, order)...),
		draft(Hindi, EventOrderPick, "JKHHC: आपका {#var#} x {#var#} ({#var#}) बिक गया, {#var#} ऑर्डर {#var#}। डिलीवरी के बाद भुगतान होगा।", cat(item, order)...),
		draft(Urdu, EventOrderPick, "JKHHC: آپ کا {#var#} x {#var#} ({#var#}) فروخت ہو گیا، {#var#} آرڈر {#var#}۔ ڈیلیوری کے بعد ادائیگی ہوگی۔", cat(item, order)...),
		draft(Kashmiri, EventOrderPick, "JKHHC: تُہُنٛد {#var#} x {#var#} ({#var#}) کُنیوٚو، {#var#} آرڈر {#var#}۔ ڈیلیوری پَتہٕ مِلن پونسہٕ۔", cat(item, order)...),

		// We collect a sold piece from the artisan by a day.
		en(EventOrderCollect, "JKHHC: {#var#} order {#var#} sold. We will collect {#var#} x {#var#} ({#var#}) from you by {#var#}. Keep it ready.", cat(order, item, []string{"due"})...),
		draft(Hindi, EventOrderCollect, "JKHHC: {#var#} ऑर्डर {#var#} बिक गया। हम {#var#} तक आपसे {#var#} x {#var#} ({#var#}) ले जाएँगे। तैयार रखें।", cat(order, []string{"due"}, item)...),
		draft(Urdu, EventOrderCollect, "JKHHC: {#var#} آرڈر {#var#} فروخت ہو گیا۔ ہم {#var#} تک آپ سے {#var#} x {#var#} ({#var#}) لے جائیں گے۔ تیار رکھیں۔", cat(order, []string{"due"}, item)...),
		draft(Kashmiri, EventOrderCollect, "JKHHC: {#var#} آرڈر {#var#} کُنیوٚو۔ اَسۍ نِمَو {#var#} تام توٚہہِ نِشہِ {#var#} x {#var#} ({#var#})۔ تیار تھٲوِو۔", cat(order, []string{"due"}, item)...),

		en(EventOrderCollectUndated, "JKHHC: {#var#} order {#var#} sold. We will collect {#var#} x {#var#} ({#var#}) from you. Keep it ready.", cat(order, item)...),
		draft(Hindi, EventOrderCollectUndated, "JKHHC: {#var#} ऑर्डर {#var#} बिक गया। हम आपसे {#var#} x {#var#} ({#var#}) ले जाएँगे। तैयार रखें।", cat(order, item)...),
		draft(Urdu, EventOrderCollectUndated, "JKHHC: {#var#} آرڈر {#var#} فروخت ہو گیا۔ ہم آپ سے {#var#} x {#var#} ({#var#}) لے جائیں گے۔ تیار رکھیں۔", cat(order, item)...),
		draft(Kashmiri, EventOrderCollectUndated, "JKHHC: {#var#} آرڈر {#var#} کُنیوٚو۔ اَسۍ نِمَو توٚہہِ نِشہِ {#var#} x {#var#} ({#var#})۔ تیار تھٲوِو۔", cat(order, item)...),

		// A piece to make and bring to a showroom by a day.
		en(EventOrderMake, "JKHHC: {#var#} order {#var#}. Please make {#var#} x {#var#} ({#var#}) and bring it to {#var#} by {#var#}.", cat(order, item, []string{"place", "due"})...),
		draft(Hindi, EventOrderMake, "JKHHC: {#var#} ऑर्डर {#var#}। कृपया {#var#} x {#var#} ({#var#}) बनाकर {#var#} तक {#var#} पहुँचाएँ।", cat(order, item, []string{"due", "place"})...),
		draft(Urdu, EventOrderMake, "JKHHC: {#var#} آرڈر {#var#}۔ براہ کرم {#var#} x {#var#} ({#var#}) بنا کر {#var#} تک {#var#} پہنچائیں۔", cat(order, item, []string{"due", "place"})...),
		draft(Kashmiri, EventOrderMake, "JKHHC: {#var#} آرڈر {#var#}۔ مہربٲنی کٔرِتھ بَنٲوِو {#var#} x {#var#} ({#var#}) تہٕ اَنِو {#var#} تام {#var#}۔", cat(order, item, []string{"due", "place"})...),

		en(EventOrderMakeUndated, "JKHHC: {#var#} order {#var#}. Please make {#var#} x {#var#} ({#var#}) and bring it to {#var#}.", cat(order, item, []string{"place"})...),
		draft(Hindi, EventOrderMakeUndated, "JKHHC: {#var#} ऑर्डर {#var#}। कृपया {#var#} x {#var#} ({#var#}) बनाकर {#var#} पहुँचाएँ।", cat(order, item, []string{"place"})...),
		draft(Urdu, EventOrderMakeUndated, "JKHHC: {#var#} آرڈر {#var#}۔ براہ کرم {#var#} x {#var#} ({#var#}) بنا کر {#var#} پہنچائیں۔", cat(order, item, []string{"place"})...),
		draft(Kashmiri, EventOrderMakeUndated, "JKHHC: {#var#} آرڈر {#var#}۔ مہربٲنی کٔرِتھ بَنٲوِو {#var#} x {#var#} ({#var#}) تہٕ اَنِو {#var#}۔", cat(order, item, []string{"place"})...),

		// A sale cancelled: the piece is not wanted.
		en(EventOrderCancelled, "JKHHC: {#var#} order {#var#} for {#var#} x {#var#} ({#var#}) is cancelled. Please do not send it.", cat(order, item)...),
		draft(Hindi, EventOrderCancelled, "JKHHC: {#var#} ऑर्डर {#var#} ({#var#} x {#var#}, {#var#}) रद्द हो गया है। कृपया इसे न भेजें।", cat(order, item)...),
		draft(Urdu, EventOrderCancelled, "JKHHC: {#var#} آرڈر {#var#} ({#var#} x {#var#}، {#var#}) منسوخ ہو گیا ہے۔ براہ کرم اسے نہ بھیجیں۔", cat(order, item)...),
		draft(Kashmiri, EventOrderCancelled, "JKHHC: {#var#} آرڈر {#var#} ({#var#} x {#var#}، {#var#}) گوٚو منسوٗخ۔ مہربٲنی کٔرِتھ مہٕ سوٗزِو۔", cat(order, item)...),

		// Money sent to the artisan's bank.
		en(EventPayoutSent, "JKHHC: Rs {#var#} sent to your bank on {#var#}. Bank ref {#var#}.", "amount", "date", "utr"),
		draft(Hindi, EventPayoutSent, "JKHHC: ₹{#var#} {#var#} को आपके बैंक खाते में भेजे गए। बैंक संदर्भ {#var#}।", "amount", "date", "utr"),
		draft(Urdu, EventPayoutSent, "JKHHC: {#var#} روپے {#var#} کو آپ کے بینک کھاتے میں بھیج دیے گئے۔ بینک حوالہ {#var#}۔", "amount", "date", "utr"),
		draft(Kashmiri, EventPayoutSent, "JKHHC: {#var#} روپیہِ سوٗزِ {#var#} تُہٕنِس بینک کھاتس منٛز۔ بینک حوالہ {#var#}۔", "amount", "date", "utr"),

		// A transfer failed: the money stays in the artisan's balance.
		en(EventPayoutFailed, "JKHHC: we could not send Rs {#var#} to your bank. The money stays in your account with us. Please bring your passbook to the showroom.", "amount"),
		draft(Hindi, EventPayoutFailed, "JKHHC: ₹{#var#} आपके बैंक में नहीं भेजे जा सके। पैसा हमारे पास आपके खाते में सुरक्षित है। कृपया पासबुक लेकर शोरूम आएँ।", "amount"),
		draft(Urdu, EventPayoutFailed, "JKHHC: {#var#} روپے آپ کے بینک میں نہیں بھیجے جا سکے۔ رقم ہمارے پاس آپ کے کھاتے میں محفوظ ہے۔ براہ کرم پاس بک لے کر شوروم آئیں۔", "amount"),
		draft(Kashmiri, EventPayoutFailed, "JKHHC: {#var#} روپیہِ ہیٚکِو نہٕ تُہٕنِس بینکس منٛز سوٗزِتھ۔ پونسہٕ چھِ سانِہ نِش محفوٗظ۔ مہربٲنی کٔرِتھ اَنِو پاس بُک شوروم۔", "amount"),

		// The monthly statement in one message.
		en(EventStatementSummary, "JKHHC: {#var#}, up to {#var#}: due to you Rs {#var#}, held for returns Rs {#var#}, paid Rs {#var#}.", "name", "date", "payable", "held", "paid"),
		draft(Hindi, EventStatementSummary, "JKHHC: {#var#}, {#var#} तक: आपको देय ₹{#var#}, वापसी के लिए रोके ₹{#var#}, भुगतान हुआ ₹{#var#}।", "name", "date", "payable", "held", "paid"),
		draft(Urdu, EventStatementSummary, "JKHHC: {#var#}، {#var#} تک: آپ کے واجب {#var#} روپے، واپسی کے لیے روکے {#var#} روپے، ادا شدہ {#var#} روپے۔", "name", "date", "payable", "held", "paid"),
		draft(Kashmiri, EventStatementSummary, "JKHHC: {#var#}، {#var#} تام: تۄہیہِ دِنۍ {#var#} روپیہِ، واپسی خٲطرٕ روٚکمٕتۍ {#var#} روپیہِ، دِتۍ {#var#} روپیہِ۔", "name", "date", "payable", "held", "paid"),
	}
}
