// Package finance keeps the corporation's money straight to the paisa:
// what each marketplace should pay for an order line (fee schedules),
// what it did pay (settlements), and what each artisan has earned, is owed
// and was paid, in an append-only double-entry ledger whose every entry
// balances to zero. Money is int64 paise everywhere; nothing is a float.
package finance

import (
	"fmt"
	"math/big"
)

// Allocate splits total in proportion to weights, handing the paise left
// over by integer division out one by one to the largest remainders (ties
// to the earlier weight), so the parts always sum to total exactly and the
// same inputs always give the same parts. A negative total is split as its
// absolute value and negated. Weights must be >= 0 with a positive sum.
func Allocate(total int64, weights []int64) ([]int64, error) {
	if len(weights) == 0 {
		return nil, fmt.Errorf("finance: nothing to allocate %d paise to", total)
	}
	var sum big.Int
	for _, w := range weights {
		if w < 0 {
			return nil, fmt.Errorf("finance: negative weight %d", w)
		}
		sum.Add(&sum, big.NewInt(w))
	}
	if sum.Sign() == 0 {
		return nil, fmt.Errorf("finance: weights sum to zero")
	}
	neg := total < 0
	abs := new(big.Int).Abs(big.NewInt(total))
	parts := make([]int64, len(weights))
	rems := make([]*big.Int, len(weights))
	given := new(big.Int)
	for i, w := range weights {
		q, r := new(big.Int).QuoRem(new(big.Int).Mul(abs, big.NewInt(w)), &sum, new(big.Int))
		parts[i], rems[i] = q.Int64(), r
		given.Add(given, q)
	}
	left := new(big.Int).Sub(abs, given).Int64() // < len(weights)
	for ; left > 0; left-- {
		best := -1
		for i, r := range rems {
			if r.Sign() >= 0 && (best < 0 || r.Cmp(rems[best]) > 0) {
				best = i
			}
		}
		parts[best]++
		rems[best] = big.NewInt(-1) // one extra paisa each at most
	}
	if neg {
		for i := range parts {
			parts[i] = -parts[i]
		}
	}
	return parts, nil
}

// Split divides total into n parts as equal as possible, the earlier parts
// taking the leftover paise (₹1.00 three ways: 34, 33, 33).
func Split(total int64, n int) ([]int64, error) {
	if n <= 0 {
		return nil, fmt.Errorf("finance: cannot split into %d parts", n)
	}
	w := make([]int64, n)
	for i := range w {
		w[i] = 1
	}
	return Allocate(total, w)
}

// BasisPoints returns amount × bp / 10000 rounded half away from zero,
// for fees and taxes computed per line.
func BasisPoints(amount, bp int64) int64 {
	p := new(big.Int).Mul(big.NewInt(amount), big.NewInt(bp))
	q, r := new(big.Int).QuoRem(p, big.NewInt(10000), new(big.Int))
	if new(big.Int).Abs(r).Cmp(big.NewInt(5000)) >= 0 {
		if p.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q.Int64()
}
