package app

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"io"
	"strings"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/demo"
	"github.com/jkhhc/artisanbridge/internal/media"
	"github.com/jkhhc/artisanbridge/internal/paging"
)

// RunDemo plays the demo against this process once it listens (serve
// --demo, embedded default only: its buyers order from the simulators).
// pace scales the demo's waits (1 in use; tests go faster).
func (a *App) RunDemo(ctx context.Context, out io.Writer, pace float64) error {
	if !a.cfg.Embedded() {
		return fmt.Errorf("the demo runs on the embedded default only (its buyers order from the simulators): unset DATABASE_URL and REDIS_URL")
	}
	addr, err := a.Addr(ctx)
	if err != nil {
		return err
	}
	d := demo.New(demo.Config{API: "http://" + addr.String(), OrdersPerMinute: a.cfg.DemoOrdersPerMinute, Pace: pace,
		Accounts: demoAccounts{auth: a.Auth, sessions: auth.NewSessions(a.DB.Sessions(), nil, auth.DefaultLockout)}, Photos: demoPhotos{a.Media}, Log: a.log, Out: out})
	return d.Run(ctx)
}

// demoPhotos stores the demo's drawn photos as an upload would.
type demoPhotos struct{ media *media.Service }

func (p demoPhotos) Put(ctx context.Context, contentType string, data []byte) (string, error) {
	m, err := p.media.Put(ctx, contentType, data)
	return m.SHA256, err
}

// demoAccounts are the demo's people: created on first start, given a
// fresh token (the previous ones revoked) and a fresh console password
// every start.
type demoAccounts struct {
	auth     *auth.Service
	sessions *auth.Sessions
}

// SignIn answers the token and console password of the demo's user name.
func (d demoAccounts) SignIn(ctx context.Context, name string, role auth.Role) (string, string, error) {
	token, err := d.token(ctx, name, role)
	if err != nil {
		return "", "", err
	}
	// 80 random bits, in letters a person can type from the banner.
	var raw [10]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", "", err
	}
	password := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw[:]))
	if _, err := d.sessions.SetPassword(ctx, name, password); err != nil {
		return "", "", err
	}
	return token, password, nil
}

func (d demoAccounts) token(ctx context.Context, name string, role auth.Role) (string, error) {
	for cursor := ""; ; {
		req, err := paging.Parse(paging.MaxLimit, cursor)
		if err != nil {
			return "", err
		}
		page, err := d.auth.ListUsers(ctx, req)
		if err != nil {
			return "", err
		}
		for _, u := range page.Items {
			if u.Name != name {
				continue
			}
			if u.Role != role {
				return "", apperr.New(apperr.Conflict, "user %s exists with role %s, not %s: this data folder was not the demo's", name, u.Role, role)
			}
			if _, err := d.auth.RevokeTokens(ctx, u.ID); err != nil {
				return "", err
			}
			return d.auth.IssueToken(ctx, u.ID)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	_, token, err := d.auth.CreateUser(ctx, auth.NewUser{Name: name, Role: role})
	return token, err
}
