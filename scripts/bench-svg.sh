#!/bin/sh
# scripts/bench-svg.sh TABLE.md > bench.svg -- the picture of `make bench`.
#
# One bar per row of the table scripts/bench.sh writes, its length the row's
# figure against its target: for a "≥ T" target the figure over T, for a
# "≤ T" one T over the figure, so the target is always the line at 1 and a
# longer bar is always better (cut at 2, where the scale ends).  A target
# with several bounds ("private ≤ 16 KiB, PSS ≤ 64 KiB") takes the ratio
# column's figures in the same order, and the bar is the worst of them.
# Green when the row passes, red when it misses; a black whisker over the
# bar's end spans the lowest to the highest run (the "runs, spread" column:
# its first number the count, then a low and a high per bound).  The
# columns are found by the names in the table's header.  Plain SVG, no
# tool but awk.
set -eu

awk -F'|' '
BEGIN { c_ratio = 6; c_target = 7; c_result = 8; c_runs = 0 }
# the numbers in s into a[1..n], signs included ("+-32 KiB" is -32); n
function nums(s, a,    n) {
	gsub(/\+-/, "-", s)
	n = 0
	while (match(s, /-?[0-9]+(\.[0-9]+)?/)) {
		a[++n] = substr(s, RSTART, RLENGTH) + 0
		s = substr(s, RSTART + RLENGTH)
	}
	return n
}
# the bounds of a target into le[1..n] (1 for "≤", 0 for "≥") and t[1..n]; n
function bounds(s, le, t,    n, a, b, p, x) {
	n = 0
	for (;;) {
		a = index(s, "≤"); b = index(s, "≥")
		if (!a && !b)
			return n
		n++
		le[n] = a && (!b || a < b)
		p = le[n] ? a : b
		s = substr(s, p + length("≤"))
		t[n] = nums(s, x) ? x[1] : ""
	}
}
# a figure v against one bound: 1 at the target, longer is better, 0 to 2
function score(v, t, le,    s) {
	if (v == "" || t == "" || t == 0)
		return 0
	s = le ? (v <= 0 ? 2 : t / v) : v / t
	return s > 2 ? 2 : s < 0 ? 0 : s
}
function esc(s) {
	gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s)
	return s
}
function trim(s) { gsub(/^ +| +$/, "", s); return s }
/^\| id \|/ {
	for (i = 2; i < NF; i++) {
		h = trim($i)
		if (h == "ratio") c_ratio = i
		else if (h == "target") c_target = i
		else if (h == "result") c_result = i
		else if (h == "runs, spread") c_runs = i
	}
	next
}
/^\| B[0-9]/ {
	ratio = trim($c_ratio); target = trim($c_target)
	nb = bounds(target, le, t)
	nv = nums(ratio, v)
	ns = c_runs ? nums(trim($c_runs), sp) : 0
	score_ = nb && nv ? 2 : 0
	lo = hi = 2
	for (k = 1; k <= nb && k <= nv; k++) {
		s = score(v[k], t[k], le[k])
		if (s < score_)
			score_ = s
		if (2 * k + 1 <= ns) {
			a = score(sp[2 * k], t[k], le[k]); b = score(sp[2 * k + 1], t[k], le[k])
			if (a > b) { x = a; a = b; b = x }
			if (a < lo) lo = a
			if (b < hi) hi = b
		}
	}
	n++
	ids[n] = trim($2); ratios[n] = ratio; targets[n] = target; scores[n] = score_
	pass[n] = trim($c_result) == "pass"
	whisker[n] = ns >= 3 && nb && nv
	wlo[n] = lo; whi[n] = hi
}
END {
	left = 70; width = 520; row = 26; top = 40
	h = top + n * row + 40
	printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" " \
	       "font-family=\"sans-serif\" font-size=\"12\">\n", left + width + 420, h
	printf "<text x=\"10\" y=\"20\" font-size=\"14\">fdbroker make bench: each row against " \
	       "its target (the line; longer is better)</text>\n"
	for (i = 1; i <= n; i++) {
		y = top + (i - 1) * row
		w = scores[i] * width / 2
		printf "<text x=\"10\" y=\"%d\">%s</text>\n", y + 15, esc(ids[i])
		printf "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"18\" fill=\"%s\"/>\n",
		       left, y + 2, w, pass[i] ? "#3a9a4a" : "#c8413b"
		if (whisker[i]) {
			x1 = left + wlo[i] * width / 2; x2 = left + whi[i] * width / 2
			printf "<path d=\"M%.1f %d v8 M%.1f %d H%.1f M%.1f %d v8\" " \
			       "stroke=\"black\" fill=\"none\"/>\n", x1, y + 7, x1, y + 11, x2, x2, y + 7
		}
		printf "<text x=\"%d\" y=\"%d\">%s (%s)</text>\n", left + width + 8, y + 15,
		       esc(ratios[i]), esc(targets[i])
	}
	printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\" " \
	       "stroke-dasharray=\"4 3\"/>\n", left + width / 2, top - 4, left + width / 2,
	       top + n * row
	printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">target</text>\n",
	       left + width / 2, top + n * row + 16
	printf "<text x=\"%d\" y=\"%d\">whisker: lowest to highest run</text>\n",
	       left, top + n * row + 16
	printf "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">2× better</text>\n",
	       left + width, top + n * row + 16
	printf "</svg>\n"
}' "$1"
