package storagetest

import (
	"slices"
	"strconv"
	"strings"

	"github.com/shakwa/shakwa"
)

// Tallies folds tallies the obvious way into what the store must hold for
// them: per centre and hash key ("d:YYYYMMDD", "xm:YYYYMM", …), each
// field's value as shakwa.TallyKey describes it. The zero Tallies is
// empty and ready.
type Tallies struct {
	counts  map[hashKey]map[string]int64
	vectors map[hashKey]map[string]map[int]int64 // field -> index -> count
}

type hashKey struct{ centre, key string }

// Add adds ts, of centre, sign times (1 to add, -1 to take away).
func (b *Tallies) Add(centre string, ts []shakwa.Tally, sign int64) {
	if b.counts == nil {
		b.counts, b.vectors = map[hashKey]map[string]int64{}, map[hashKey]map[string]map[int]int64{}
	}
	put := func(key, field string, t shakwa.Tally) {
		k := hashKey{centre, key}
		if t.Vector {
			if b.vectors[k] == nil {
				b.vectors[k] = map[string]map[int]int64{}
			}
			h := b.vectors[k][field]
			if h == nil {
				h = map[int]int64{}
				b.vectors[k][field] = h
			}
			if h[t.Index] += sign * t.N; h[t.Index] == 0 {
				delete(h, t.Index)
			}
			return
		}
		if b.counts[k] == nil {
			b.counts[k] = map[string]int64{}
		}
		if b.counts[k][field] += sign * t.N; b.counts[k][field] == 0 {
			delete(b.counts[k], field)
		}
	}
	for _, t := range ts {
		if t.N == 0 {
			continue
		}
		x := ""
		if t.Dims {
			x = "x"
		}
		if t.Recent {
			put(x+"n:"+t.Day, t.Field, t) // a day's recent counts: not in the month
			continue
		}
		put(x+"d:"+t.Day, t.Field, t)
		put(x+"m:"+t.Day[:6], t.Field, t)
	}
}

// Hash is centre's hash key as the store must hold it: an empty map for
// none.
func (b *Tallies) Hash(centre, key string) map[string]string {
	k := hashKey{centre, key}
	out := map[string]string{}
	for f, n := range b.counts[k] {
		out[f] = strconv.FormatInt(n, 10)
	}
	for f, h := range b.vectors[k] {
		buckets := make([]int, 0, len(h))
		for bucket := range h {
			buckets = append(buckets, bucket)
		}
		if len(buckets) == 0 {
			continue
		}
		slices.Sort(buckets)
		parts := make([]string, len(buckets))
		for i, bucket := range buckets {
			parts[i] = strconv.Itoa(bucket) + ":" + strconv.FormatInt(h[bucket], 10)
		}
		out[f] = strings.Join(parts, ",")
	}
	return out
}

// Keys calls yield with each centre and hash key that holds something.
func (b *Tallies) Keys(yield func(centre, key string) bool) {
	for k, n := range b.sizes() {
		if n > 0 && !yield(k.centre, k.key) {
			return
		}
	}
}

// sizes is how many fields each hash holds.
func (b *Tallies) sizes() map[hashKey]int {
	out := map[hashKey]int{}
	for k, fs := range b.counts {
		out[k] += len(fs)
	}
	for k, fs := range b.vectors {
		for _, h := range fs {
			if len(h) > 0 {
				out[k]++
			}
		}
	}
	return out
}

// InOrder is a tally hash as the store returns it with each vector's
// elements by index, as Hash writes them: the store keeps them in no
// order.
func InOrder(h map[string]string) map[string]string {
	out := make(map[string]string, len(h))
	for f, v := range h {
		if strings.Contains(v, ":") {
			parts := strings.Split(v, ",")
			index := func(p string) int {
				n, _ := strconv.Atoi(p[:max(strings.IndexByte(p, ':'), 0)])
				return n
			}
			slices.SortFunc(parts, func(a, b string) int { return index(a) - index(b) })
			v = strings.Join(parts, ",")
		}
		out[f] = v
	}
	return out
}
