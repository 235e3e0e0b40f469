// Package faults is the fault suite (make faults, make faults-quick): it
// runs the production topology as the README's "Production" section starts
// it (migrate, one api and two worker processes of the built binary on a
// fresh PostgreSQL database and a private redis-server, the marketplace
// simulators as processes) and breaks it while traffic flows: duplicate
// deliveries, kill -9 of the api and of a worker, Redis restarted empty,
// PostgreSQL connections terminated, a slow and throttling marketplace and
// malformed bodies to every write route. Each scenario prints one line
//
//	FAULTS | <scenario> | tried N | lost 0 | duplicated 0 | partial 0 | 5xx 0
//
// counted by comparing what was sent with what the database and the
// simulators hold once everything has converged, and fails unless the last
// four are zero. The tests carry the build tag faults, so make test does
// not run them; without PostgreSQL or redis-server they fail, never skip.
package faults
