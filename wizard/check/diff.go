package check

import (
	"fmt"
	"strings"
	"unicode"
)

// maxDiffCells bounds the work of the character alignment: beyond it (two strings of
// about a thousand characters each that differ in the middle) the differing middle is
// shown as one replacement.
const maxDiffCells = 1 << 20

// Diff renders the character-level difference from a (the reference, e.g. the
// registered URI) to b (e.g. what was entered) on one line: text both share as it is,
// text only in a as [-…-], text only in b as {+…+}. Characters that cannot be seen are
// named: <space> and <tab> inside a change, <newline>, <CR> and <U+200B> (any invisible or
// control character) everywhere; a non-ASCII letter inside a change is followed by its
// code point, so a look-alike (Cyrillic а for Latin a) shows. Equal strings give "".
//
//	Diff("https://x/cb", "http://x/cb/") == "http[-s-]://x/cb{+/+}"
func Diff(a, b string) string {
	if a == b {
		return ""
	}
	ops := diffOps([]rune(a), []rune(b))
	var out strings.Builder
	for _, s := range groupOps(ops) {
		if s.equal {
			out.WriteString(visible(string(s.del)))
			continue
		}
		if len(s.del) > 0 {
			out.WriteString("[-" + visibleChange(s.del) + "-]")
		}
		if len(s.ins) > 0 {
			out.WriteString("{+" + visibleChange(s.ins) + "+}")
		}
	}
	return out.String()
}

type opKind byte

const (
	opEqual opKind = iota
	opDelete
	opInsert
)

type op struct {
	kind opKind
	r    rune
}

// diffOps aligns a and b: the common prefix and suffix, and a longest common
// subsequence of the middle.
func diffOps(a, b []rune) []op {
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	s := 0
	for s < len(a)-p && s < len(b)-p && a[len(a)-1-s] == b[len(b)-1-s] {
		s++
	}
	var ops []op
	for _, r := range a[:p] {
		ops = append(ops, op{opEqual, r})
	}
	ops = append(ops, lcsOps(a[p:len(a)-s], b[p:len(b)-s])...)
	for _, r := range a[len(a)-s:] {
		ops = append(ops, op{opEqual, r})
	}
	return ops
}

// lcsOps is the edit script of a longest common subsequence, deletions before
// insertions at each change.
func lcsOps(a, b []rune) []op {
	n, m := len(a), len(b)
	var ops []op
	if n == 0 || m == 0 || (n+1)*(m+1) > maxDiffCells {
		for _, r := range a {
			ops = append(ops, op{opDelete, r})
		}
		for _, r := range b {
			ops = append(ops, op{opInsert, r})
		}
		return ops
	}
	// l[i][j] is the LCS length of a[i:] and b[j:].
	w := m + 1
	l := make([]int32, (n+1)*w)
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				l[i*w+j] = l[(i+1)*w+j+1] + 1
			} else {
				l[i*w+j] = max(l[(i+1)*w+j], l[i*w+j+1])
			}
		}
	}
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case a[i] == b[j]:
			ops = append(ops, op{opEqual, a[i]})
			i++
			j++
		case l[(i+1)*w+j] >= l[i*w+j+1]:
			ops = append(ops, op{opDelete, a[i]})
			i++
		default:
			ops = append(ops, op{opInsert, b[j]})
			j++
		}
	}
	for ; i < n; i++ {
		ops = append(ops, op{opDelete, a[i]})
	}
	for ; j < m; j++ {
		ops = append(ops, op{opInsert, b[j]})
	}
	return ops
}

// segment is a run of equal text (in del) or one change (del and ins).
type segment struct {
	equal    bool
	del, ins []rune
}

// minEqualRun is the shortest run of shared characters kept between two changes: a
// shorter one is folded into them, so "[-abc-]{+xbz+}" reads instead of
// "[-a-]{+x+}b[-c-]{+z+}".
const minEqualRun = 3

func groupOps(ops []op) []segment {
	var segs []segment
	for _, o := range ops {
		eq := o.kind == opEqual
		if len(segs) == 0 || segs[len(segs)-1].equal != eq {
			segs = append(segs, segment{equal: eq})
		}
		s := &segs[len(segs)-1]
		switch o.kind {
		case opEqual, opDelete:
			s.del = append(s.del, o.r)
		case opInsert:
			s.ins = append(s.ins, o.r)
		}
	}
	// Fold short shared runs that sit between two changes into one change.
	var out []segment
	for i := 0; i < len(segs); i++ {
		s := segs[i]
		if s.equal && len(s.del) < minEqualRun && len(out) > 0 && !out[len(out)-1].equal && i+1 < len(segs) {
			prev := &out[len(out)-1]
			next := segs[i+1]
			prev.del = append(append(prev.del, s.del...), next.del...)
			prev.ins = append(append(prev.ins, s.del...), next.ins...)
			i++
			continue
		}
		out = append(out, s)
	}
	return out
}

// visible names the characters of s that cannot be seen, and keeps it on one line.
func visible(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteString(runeName(r, false))
	}
	return b.String()
}

// visibleChange renders changed characters: also spaces and tabs are named, and
// non-ASCII letters carry their code point.
func visibleChange(rs []rune) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(runeName(r, true))
	}
	return b.String()
}

func runeName(r rune, inChange bool) string {
	switch r {
	case '\n':
		return "<newline>"
	case '\r':
		return "<CR>"
	case ' ':
		if inChange {
			return "<space>"
		}
		return " "
	case '\t':
		return "<tab>"
	}
	switch {
	case !unicode.IsPrint(r) || unicode.Is(unicode.Cf, r):
		return fmt.Sprintf("<%U>", r)
	case r > unicode.MaxASCII && inChange:
		return fmt.Sprintf("%c<%U>", r, r)
	}
	return string(r)
}

// maxDistanceRunes bounds the strings editDistance compares; URIs are at most 256
// characters, and a longer paste is far from all of them anyway.
const maxDistanceRunes = 1024

// editDistance is the Levenshtein distance between a and b, counted in characters, of
// their first maxDistanceRunes characters.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	ra, rb = ra[:min(len(ra), maxDistanceRunes)], rb[:min(len(rb), maxDistanceRunes)]
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
