package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/adapters/httpx"
	"github.com/jkhhc/artisanbridge/adapters/razorpayx"
	razorpayxsim "github.com/jkhhc/artisanbridge/adapters/razorpayx/sim"
	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/finance"
)

// simSettleAfter is how soon the embedded RazorpayX simulator's bank
// settles a payout: seconds, so that a demo's batch is paid while one
// watches.
const simSettleAfter = 5 * time.Second

// startPayouts sets up the payout service with the configured provider:
// the NEFT bank file (nothing to start), or RazorpayX, which on the
// embedded default is its simulator on loopback, posting its webhooks to
// this process.
func (a *App) startPayouts(ctx context.Context) error {
	a.Payouts = finance.NewPayouts(a.DB.Finance(), a.Keyring, nil)
	if a.cfg.PayoutProvider != razorpayx.ProviderName {
		return nil
	}
	cfg := razorpayx.Config{BaseURL: a.cfg.RazorpayXBaseURL, KeyID: a.cfg.RazorpayXKeyID, KeySecret: a.cfg.RazorpayXKeySecret,
		AccountNumber: a.cfg.RazorpayXAccount, Mode: a.cfg.RazorpayXMode}
	secrets := splitSecrets(a.cfg.RazorpayXWebhookKey)
	if a.cfg.Embedded() {
		ln, err := net.Listen("tcp", a.cfg.SimRazorpayXAddr)
		if err != nil {
			return fmt.Errorf("razorpayx simulator: %w", err)
		}
		// Its webhooks are pointed at this process once it listens (Run).
		sim := razorpayxsim.New(razorpayxsim.Config{Seed: 1, SettleAfter: simSettleAfter})
		srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
		a.simServers = append(a.simServers, srv)
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				a.log.Error("payout simulator stopped", "err", err)
			}
		}()
		a.payoutSim = sim
		cfg.BaseURL, cfg.KeyID, cfg.KeySecret, cfg.AccountNumber = "http://"+ln.Addr().String(), razorpayxsim.KeyID, razorpayxsim.KeySecret, razorpayxsim.AccountNumber
		secrets = [][]byte{[]byte(razorpayxsim.WebhookSecret)}
		a.log.Warn("EMBEDDED MODE: payout provider simulator listening; payouts go to it", "provider", razorpayx.ProviderName, "url", cfg.BaseURL)
	}
	// The provider's rate limit is shared by every worker through Redis.
	client, err := razorpayx.New(cfg, &httpx.Client{HTTP: &http.Client{}, Limiter: httpx.NewRedisLimiter(a.Redis)})
	if err != nil {
		return err
	}
	a.Payouts = a.Payouts.WithProvider(razorpayx.NewProvider(client, nil))
	// Replays are refused by the store (the event id is kept once, in the
	// transaction that applies it), not by the verifier.
	a.payoutWebhook = &razorpayx.WebhookVerifier{Secrets: secrets}
	return nil
}

// splitSecrets reads "new" or "new,old" (a secret being changed).
func splitSecrets(s string) [][]byte {
	var out [][]byte
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, []byte(part))
		}
	}
	return out
}

// PayoutWebhook takes a payout provider's signed event: verified, then the
// line's outcome recorded once (a replay is acknowledged and changes
// nothing). A delivery that cannot be verified or read is refused with 400
// and kept in an exception with its body for a person to see.
func (a *App) PayoutWebhook(ctx context.Context, provider string, h http.Header, body []byte) error {
	if provider != razorpayx.ProviderName || a.payoutWebhook == nil {
		return apperr.New(apperr.NotFound, "no payout provider %q is configured here", provider)
	}
	d, err := a.payoutWebhook.Verify(ctx, h, body)
	if errors.Is(err, razorpayx.ErrDuplicate) {
		return nil
	}
	if err != nil {
		sum := sha256.Sum256(body)
		_ = a.DB.Exceptions().Raise(ctx, exceptions.Exception{Kind: exceptions.SettlementMismatch,
			CauseKey: "payout_webhook_refused:" + provider + ":" + hex.EncodeToString(sum[:8]),
			Summary:  "a " + provider + " webhook delivery was refused",
			Detail:   err.Error(),
			Action: "If it came from " + provider + ", check the webhook secret (ARTISANBRIDGE_RAZORPAYX_WEBHOOK_SECRET) against the dashboard; " +
				"the payout's state is also read by polling, so nothing is lost.",
			Resource: "payout_provider", ResourceID: provider, Payload: string(body)})
		return apperr.New(apperr.Invalid, "the delivery was refused: %v", err)
	}
	_, err = a.Payouts.Outcomes(ctx, provider, d.EventID, []finance.PayoutOutcome{d.Outcome})
	return err
}

// payoutPollInterval is how often lines in flight at the provider are
// asked about (the backstop of lost webhooks).
const payoutPollInterval = time.Minute

func (a *App) runPayoutPolls(ctx context.Context) {
	t := time.NewTicker(payoutPollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, err := a.Payouts.Poll(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("polling the payout provider failed", "err", err)
		} else if n > 0 {
			a.log.Info("payout lines in flight asked about", "count", n)
		}
	}
}
