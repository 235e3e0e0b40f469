package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// openPostgres opens the pool on PostgreSQL so that a connection the
// server has closed (pg_terminate_backend, a restart, a failover, a broken
// socket) costs a retry, never a failed request: a statement outside a
// transaction that finds its connection gone is run again on another
// (database/sql does so on driver.ErrBadConn), and a transaction whose
// connection is lost before it commits is run again by inTx. Found by the
// fault suite (make faults, postgres-connections-killed): without it,
// requests in flight when connections were terminated were answered 500.
// A connection idle for over a second is pinged before reuse (pgx's
// default); pinging every one, as was done, doubled the round trips of
// every query, and the retries above already cover a connection found
// dead (TestLostConnectionsAreRetried).
func openPostgres(url string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(lostConnConnector{stdlib.GetConnector(*cfg)}), nil
}

type lostConnConnector struct{ driver.Connector }

func (c lostConnConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	sc, ok := conn.(*stdlib.Conn)
	if !ok {
		return conn, nil
	}
	return &lostConnConn{Conn: sc}, nil
}

// lostConnConn is pgx's connection, answering driver.ErrBadConn for a
// statement outside a transaction whose connection turned out to be gone.
// (A BEGIN that finds it gone fails its transaction before anything ran,
// which inTx runs again.)
// Statements outside a transaction are the store's reads and its
// conditional or ON CONFLICT writes (a claim, a processed event, a status
// step), so running one again on a fresh connection is harmless; inside a
// transaction the error is left as it is and inTx decides.
type lostConnConn struct{ *stdlib.Conn }

func (c *lostConnConn) idle() bool { return c.Conn.Conn().PgConn().TxStatus() == 'I' }

func (c *lostConnConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	idle := c.idle()
	r, err := c.Conn.ExecContext(ctx, query, args)
	if err != nil && idle && ctx.Err() == nil && connLost(err) {
		return nil, driver.ErrBadConn
	}
	return r, err
}

func (c *lostConnConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	idle := c.idle()
	r, err := c.Conn.QueryContext(ctx, query, args)
	if err != nil && idle && ctx.Err() == nil && connLost(err) {
		return nil, driver.ErrBadConn
	}
	return r, err
}

// connLost says err means the connection to PostgreSQL is gone: the
// server terminated its backend or is shutting down (57P01-57P03), a
// connection exception (class 08), or the socket closed under it. A
// cancelled or expired context is not a lost connection.
func connLost(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if errors.Is(err, driver.ErrBadConn) {
		return true
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "57P01" || pg.Code == "57P02" || pg.Code == "57P03" || strings.HasPrefix(pg.Code, "08")
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return true
	}
	return pgconn.SafeToRetry(err) || strings.Contains(err.Error(), "conn closed")
}
