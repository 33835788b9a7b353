# 0300-records.sh: rendition records for the publish tests, made the way
# medusa-cut makes them (HACKING.md) but with small files of plain bytes.
# Sourced after tests/lib.sh.

# b2: BLAKE2b-256 of a file, as medusa records it.
b2() { b2sum -l 256 "$1" | cut -d' ' -f1; }

# mkrec WORK CLIP VIDEO START END [TAGS-JSON] [SALT]: makes WORK/CLIP/VER/360p.mp4
# and poster.jpg (their bytes depend on SALT) and prints the clip record.
mkrec() {
	_w=$1 _c=$2 _v=$3 _s=$4 _e=$5 _t=${6:-'{"kind":"other"}'} _salt=${7:-}
	_ver=$(printf '%s %s %s %s' "$_c" "$_s" "$_e" "$_salt" | b2sum -l 64 | cut -c1-16)
	mkdir -p "$_w/$_c/$_ver"
	printf 'mp4 of %s %s\n' "$_c" "$_salt" > "$_w/$_c/$_ver/360p.mp4"
	printf 'jpg of %s %s\n' "$_c" "$_salt" > "$_w/$_c/$_ver/poster.jpg"
	_r=
	for _p in 360p:mp4:video:video/mp4 poster:jpg:image:image/jpeg; do
		IFS=: read -r _pn _x _k _m <<-E
		$_p
		E
		_f=$_w/$_c/$_ver/$_pn.$_x
		_r="$_r${_r:+,}{\"profile\":\"$_pn\",\"kind\":\"$_k\",\"file\":\"$_f\",\"version\":\"$_ver\",\"key\":\"clips/$_c/$_ver/$_pn.$_x\",\"bytes\":$(wc -c < "$_f"),\"hash\":\"$(b2 "$_f")\",\"mime\":\"$_m\",\"width\":160,\"height\":120,\"duration\":1.5}"
	done
	printf '{"path":"%s","size":1000,"mtime":1700000000,"video":"%s","clip":"%s","start":%s,"end":%s,"tags":%s,"renditions":[%s]}\n' \
	    "$_v" "$_v" "$_c" "$_s" "$_e" "$_t" "$_r"
}

summary() { printf '{"summary":{"complete":true,"videos":%d,"errors":0}}\n' "${1:-1}"; }

# gen_of METASTORE: the generation number
gen_of() { sqlite3 "$1" "SELECT value FROM meta WHERE key = 'generation'"; }
# tree DIR [FIND-TESTS]: every entry with its inode, size and mtime, to tell
# "nothing changed"
tree() { (_d=$1; shift; cd "$_d" && find . "$@" -printf '%p %i %s %T@\n' | sort); }

# mkyard DIR: a backyard with tiny profiles and three 2-second videos of two
# clips each (a1 a2, b1 b2 in sub/, c1 c2), for the reconcile tests.
mkyard() {
	mkdir -p "$1/sub"
	cat > "$1/backyard.medusa.json" <<'JSON'
{
  "tags": {
    "place":  {"type": "string"},
    "rating": {"type": "integer", "default": 3}
  },
  "profiles": {
    "tiny":   {"kind": "video", "container": "mp4", "codec": "h264", "height": 96,
               "crf": 35, "preset": "ultrafast", "audio": "aac", "audio_bitrate": 32000},
    "poster": {"kind": "image", "format": "jpeg", "width": 64, "at": 0.5}
  }
}
JSON
	for v in a sub/b c; do
		mkvideo "$1/$v.mp4" 2 -vf scale=128:96
		_id=${v#sub/}
		printf '{"tags": {"place": "%s"}, "clips": [{"id": "%s1", "start": 0, "end": 0.8}, {"id": "%s2", "start": 1, "end": 1.8, "tags": {"rating": 5}}]}\n' \
		    "$_id" "$_id" "$_id" > "$1/$v.mp4.medusa.json"
	done
}

# consistent METASTORE STORAGE: every row's file is there with its hash, and
# no temporary file sits in storage.
consistent() {
	sqlite3 -separator ' ' "$1" 'SELECT key, hash FROM renditions' | while read -r _k _h; do
		[ -f "$2/$_k" ] || { echo "missing: $_k"; return 1; }
		[ "$(b2 "$2/$_k")" = "$_h" ] || { echo "wrong bytes: $_k"; return 1; }
	done
}
# ids METASTORE: the clip ids, sorted, on one line
ids() { sqlite3 "$1" 'SELECT id FROM clips ORDER BY id' | tr '\n' ' '; }
