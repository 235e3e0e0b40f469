package flipkart

// ActionOutcome exposes actionOutcome to the external tests.
var ActionOutcome = actionOutcome
