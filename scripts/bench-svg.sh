#!/bin/sh
# scripts/bench-svg.sh TABLE.md > bench.svg -- the picture of `make bench`.
#
# One bar per row of the table scripts/bench.sh writes, its length the row's
# figure against its target: for a "≥ T" target the figure over T, for a
# "≤ T" one T over the figure, so the target is always the line at 1 and a
# longer bar is always better (cut at 2, where the scale ends).  Green when
# the row passes, red when it misses.  Plain SVG, no tool but awk.
set -eu

awk -F'|' '
function num(s,    m) {
	# the first number in s, sign included ("+-32 KiB" is -32)
	gsub(/\+-/, "-", s)
	if (match(s, /-?[0-9]+(\.[0-9]+)?/))
		return substr(s, RSTART, RLENGTH) + 0
	return ""
}
function esc(s) {
	gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s)
	return s
}
function trim(s) { gsub(/^ +| +$/, "", s); return s }
/^\| B[0-9]/ {
	id = trim($2); ratio = trim($6); target = trim($7); result = trim($8)
	v = num(ratio)
	le = index(target, "≤") > 0
	t = num(substr(target, index(target, le ? "≤" : "≥")))
	if (v == "" || t == "" || t == 0)
		score = 0
	else if (le)
		score = v <= 0 ? 2 : t / v
	else
		score = v / t
	if (score > 2)
		score = 2
	n++
	ids[n] = id; ratios[n] = ratio; targets[n] = target; scores[n] = score
	pass[n] = result == "pass"
}
END {
	left = 70; width = 520; row = 26; top = 40
	h = top + n * row + 40
	printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" " \
	       "font-family=\"sans-serif\" font-size=\"12\">\n", left + width + 230, h
	printf "<text x=\"10\" y=\"20\" font-size=\"14\">fdbroker make bench: each row against " \
	       "its target (the line; longer is better)</text>\n"
	for (i = 1; i <= n; i++) {
		y = top + (i - 1) * row
		w = scores[i] * width / 2
		printf "<text x=\"10\" y=\"%d\">%s</text>\n", y + 15, esc(ids[i])
		printf "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"18\" fill=\"%s\"/>\n",
		       left, y + 2, w, pass[i] ? "#3a9a4a" : "#c8413b"
		printf "<text x=\"%d\" y=\"%d\">%s (%s)</text>\n", left + width + 8, y + 15,
		       esc(ratios[i]), esc(targets[i])
	}
	printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\" " \
	       "stroke-dasharray=\"4 3\"/>\n", left + width / 2, top - 4, left + width / 2,
	       top + n * row
	printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">target</text>\n",
	       left + width / 2, top + n * row + 16
	printf "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">2× better</text>\n",
	       left + width, top + n * row + 16
	printf "</svg>\n"
}' "$1"
