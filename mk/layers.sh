#!/bin/sh
# mk/layers.sh: checks the calls between the files of lib/ against the
# layers declared in LAYERS (mk/layers; HACKING.md, "Layers"), from what
# each object defines and what it needs (nm): a file NAME.o that needs a
# symbol another object defines calls that file.
#
#   sh mk/layers.sh LAYERS KNOWN OBJECT...
#
# A file may call the files of its own layer and of the layers that its
# layer's "->" line names, and no file may reach itself again through the
# files it calls (a call cycle). KNOWN lists the violations still
# tolerated, "FROM -> TO # why" a line: they are reported as known; a line
# that is no longer a violation is an error, so the list only shrinks and
# stays true.
#
# Exit 0: no violation but the known ones; 1: a violation, a file in no
# layer or a stale line; 2: usage, a malformed LAYERS or KNOWN, no object,
# or an object nm cannot read.
set -eu
LC_ALL=C
export LC_ALL

prog=layers
die() { echo "$prog: $*" >&2; exit 2; }
[ $# -ge 2 ] || die "usage: sh mk/layers.sh LAYERS KNOWN OBJECT..."
layers=$1 known=$2
shift 2
# checking nothing would pass whatever the code does
[ $# -gt 0 ] || die "no object files to check"
for f in "$layers" "$known"; do
	[ -f "$f" ] && [ -r "$f" ] || die "$f: cannot read"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/layers.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
: >"$tmp/objs"
: >"$tmp/syms"
for o; do
	case $o in
	*.o) ;;
	*) die "$o: not an object file (NAME.o)" ;;
	esac
	n=${o##*/}
	n=${n%.o}
	nm -P -g "$o" >"$tmp/nm" 2>"$tmp/nmerr" || die "$o: nm: $(cat "$tmp/nmerr")"
	echo "$n" >>"$tmp/objs"
	# "NAME SYMBOL TYPE": nm -P prints "SYMBOL TYPE [VALUE SIZE]"
	awk -v n="$n" '{ print n, $1, $2 }' "$tmp/nm" >>"$tmp/syms"
done

awk '
function say(m) { print "layers: " m > "/dev/stderr" }
function bad(m) { say(m); nbad++ }
function cfg(m) { say(m); ncfg++ }
function glob_re(p) { gsub(/\*/, ".*", p); return "^" p "$" }
# r[a, b] set when b can be reached from a through the edges e (1..n)
function closure(n, e, r,    a, b, k) {
	for (a = 1; a <= n; a++)
		for (b = 1; b <= n; b++)
			if ((a, b) in e)
				r[a, b] = 1
	for (k = 1; k <= n; k++)
		for (a = 1; a <= n; a++)
			if ((a, k) in r)
				for (b = 1; b <= n; b++)
					if ((k, b) in r)
						r[a, b] = 1
}
# the shortest way from file a to file b through calls ("tags -> config")
function path_back(a, b,    q, head, tail, k, c, seen, from, p) {
	head = 1; tail = 1; q[1] = a; seen[a] = 1
	while (head <= tail) {
		c = q[head++]
		if (c == b)
			break
		for (k = 1; k <= nobj; k++)
			if ((c, k) in calls && !(k in seen)) {
				seen[k] = 1; from[k] = c; q[++tail] = k
			}
	}
	p = obj[b]
	for (c = b; c != a; c = from[c])
		p = obj[from[c]] " -> " p
	return p
}

sect == "layers" {
	sub(/#.*/, "")
	if (NF == 0)
		next
	at = FILENAME ":" FNR
	if ($1 ~ /^[A-Za-z][A-Za-z0-9_]*:$/) {
		l = substr($1, 1, length($1) - 1)
		if (l in ldecl)
			cfg(at ": layer " l " declared again (first at " ldecl[l] ")")
		ldecl[l] = at; lname[++nlay] = l; lnum[l] = nlay
		if (NF < 2)
			cfg(at ": layer " l " has no files")
		for (i = 2; i <= NF; i++) {
			if ($i !~ /^[A-Za-z0-9_*]+$/)
				cfg(at ": \"" $i "\": a file is NAME (lib/NAME.c), * matching any text")
			pat[++npat] = $i; patl[npat] = l; patat[npat] = at
		}
	} else if (NF >= 3 && $2 == "->") {
		for (i = 3; i <= NF; i++) {
			mfrom[++nmay] = $1; mto[nmay] = $i; mat[nmay] = at
		}
	} else {
		cfg(at ": want \"LAYER: FILE...\" or \"LAYER -> LAYER...\"")
	}
	next
}
sect == "known" {
	at = FILENAME ":" FNR
	why = ""
	if ((i = index($0, "#")) > 0)
		why = substr($0, i + 1)
	sub(/#.*/, "")
	if (NF == 0)
		next
	if (NF != 3 || $2 != "->")
		cfg(at ": want \"FROM -> TO # why it is still there\"")
	else if (why !~ /[^ \t]/)
		cfg(at ": " $1 " -> " $3 ": say why it is still there (# ...)")
	else if (($1, $3) in known)
		cfg(at ": " $1 " -> " $3 " listed again (first at " known[$1, $3] ")")
	else {
		known[$1, $3] = at; kfrom[++nknown] = $1; kto[nknown] = $3
	}
	next
}
sect == "objs" {
	if ($1 in onum)
		cfg($1 ".o given twice")
	obj[++nobj] = $1; onum[$1] = nobj
	next
}
sect == "syms" {
	f = onum[$1]
	if ($3 == "U" || $3 == "w" || $3 == "v") {
		need[f, ++nneed[f]] = $2
	} else if ($3 ~ /^[A-Z]$/) {
		if (($2 in def) && def[$2] != f)
			bad($2 ": defined by both " obj[def[$2]] " and " obj[f])
		def[$2] = f; ndef[f]++
	}
	next
}

END {
	# the layers and which may call which
	for (m = 1; m <= nmay; m++) {
		if (!(mfrom[m] in lnum) || !(mto[m] in lnum))
			cfg(mat[m] ": " ((mfrom[m] in lnum) ? mto[m] : mfrom[m]) ": no such layer")
		else if (mfrom[m] == mto[m])
			cfg(mat[m] ": " mfrom[m] " -> " mfrom[m] ": a layer always calls itself")
		else
			lmay[lnum[mfrom[m]], lnum[mto[m]]] = 1
	}
	closure(nlay, lmay, lreach)
	for (a = 1; a <= nlay; a++)
		if ((a, a) in lreach)
			cfg(ldecl[lname[a]] ": layer " lname[a] " may call itself again through other layers")
	if (nlay == 0)
		cfg(LAYERS ": no layers declared")
	if (ncfg)
		exit 2

	# every file in exactly one layer, every name of LAYERS a file
	for (f = 1; f <= nobj; f++) {
		for (p = 1; p <= npat; p++) {
			if (obj[f] !~ glob_re(pat[p]))
				continue
			used[p] = 1
			if ((f in layer) && layer[f] != patl[p])
				bad(obj[f] ": in two layers, " layer[f] " and " patl[p] " (" patat[p] ")")
			layer[f] = patl[p]
		}
		if (!(f in layer))
			bad(obj[f] ": in no layer of " LAYERS " (add it to the layer it belongs to)")
		if (!(f in ndef))
			bad(obj[f] ": defines no global symbol")
	}
	for (p = 1; p <= npat; p++)
		if (!(p in used))
			bad(patat[p] ": " pat[p] ": no such file among the objects (remove or rename it)")

	# which file calls which, and by what
	for (f = 1; f <= nobj; f++)
		for (i = 1; i <= nneed[f]; i++) {
			s = need[f, i]
			if (!(s in def) || def[s] == f)
				continue
			t = def[s]
			if (!((f, t) in calls))
				ncalls++
			calls[f, t] = calls[f, t] " " s
		}
	closure(nobj, calls, reach)

	for (f = 1; f <= nobj; f++)
		for (t = 1; t <= nobj; t++) {
			if (!((f, t) in calls))
				continue
			why = ""
			if ((t, f) in reach)
				why = "a call cycle (" obj[f] " -> " path_back(t, f) ")"
			lf = layer[f]; lt = layer[t]
			if (lf != "" && lt != "" && lf != lt && !((lnum[lf], lnum[lt]) in lmay))
				why = (why == "" ? "" : why ", ") "layer " lf " may not call layer " lt \
				    ((lnum[lt], lnum[lf]) in lreach ? " (an upward call)" : "")
			if (why == "")
				continue
			m = obj[f] " -> " obj[t] ": " why ":" calls[f, t]
			if ((obj[f], obj[t]) in known) {
				print "layers: known: " m
				nold++; stillbad[obj[f], obj[t]] = 1
			} else {
				bad(m)
			}
		}
	for (k = 1; k <= nknown; k++)
		if (!((kfrom[k], kto[k]) in stillbad))
			bad(known[kfrom[k], kto[k]] ": " kfrom[k] " -> " kto[k] \
			    ": no longer a violation (remove the line)")

	if (nbad) {
		say(nbad " problem(s) in the calls between " nobj " files (" LAYERS ", " KNOWN ")")
		exit 1
	}
	print "layers: " nobj " files in " nlay " layers, " ncalls " calls between files, " \
	    (nold ? nold : 0) " known violations, no new ones"
}
' LAYERS="$layers" KNOWN="$known" \
	sect=layers "$layers" sect=known "$known" sect=objs "$tmp/objs" sect=syms "$tmp/syms"
