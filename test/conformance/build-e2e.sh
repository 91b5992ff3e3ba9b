#!/usr/bin/env bash
# Builds upstream Kubernetes' e2e.test (v1.20.2) from Debian bookworm's `kubernetes` source package with
# Debian's Go in GOPATH mode: the Go module proxy is out of reach here, and that source package carries the
# whole upstream tree with vendor/. Prints the binary's path on its last line. Not part of CI's default run.
#
# Cached under $SKIFF_CONFORMANCE_CACHE (default ~/.cache/skiff-conformance): a second run only prints the path.
# Needs root for apt-get (Debian's golang-go, golang-github-modern-go-reflect2-dev), no system config changes:
# the deb-src line lives in a private apt config under the cache dir.
set -euo pipefail

K8S_VERSION=1.20.2
CACHE=${SKIFF_CONFORMANCE_CACHE:-$HOME/.cache/skiff-conformance}
BIN="$CACHE/e2e.test-v$K8S_VERSION"
JOBS=${SKIFF_CONFORMANCE_JOBS:-2}

log() { printf 'build-e2e: %s\n' "$*" >&2; }

if [[ -x "$BIN" && "${1:-}" != "--rebuild" ]]; then
  log "cached: $BIN"
  echo "$BIN"
  exit 0
fi

mkdir -p "$CACHE"
start=$(date +%s)

# --- Debian's Go and reflect2 -------------------------------------------------------------------
need_pkgs=()
command -v go >/dev/null 2>&1 || need_pkgs+=(golang-go)
REFLECT2=/usr/share/gocode/src/github.com/modern-go/reflect2
[[ -d "$REFLECT2" ]] || need_pkgs+=(golang-github-modern-go-reflect2-dev)
if ((${#need_pkgs[@]})); then
  log "apt-get install ${need_pkgs[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need_pkgs[@]}" >&2
fi
log "$(go version)"

# --- the source package, through a private apt config (deb-src), not /etc/apt -------------------
APT="$CACHE/apt"
mkdir -p "$APT/lists/partial" "$APT/parts" "$APT/cache/archives/partial"
echo 'deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main' >"$APT/sources.list"
APTO=(-o "Dir::Etc::sourcelist=$APT/sources.list" -o "Dir::Etc::sourceparts=$APT/parts"
  -o "Dir::State::Lists=$APT/lists" -o "Dir::Cache=$APT/cache")
SRC_DL="$CACHE/source"
mkdir -p "$SRC_DL"
orig=$(ls "$SRC_DL"/kubernetes_*really${K8S_VERSION}.orig.tar.gz 2>/dev/null | head -1 || true)
if [[ -z "$orig" ]]; then
  log "fetching Debian's kubernetes source package"
  apt-get "${APTO[@]}" update >&2
  (cd "$SRC_DL" && apt-get "${APTO[@]}" source --download-only kubernetes >&2)
  orig=$(ls "$SRC_DL"/kubernetes_*.orig.tar.gz | head -1)
fi
log "source: $orig"

# --- a GOPATH holding the tree as k8s.io/kubernetes ---------------------------------------------
export GOPATH="$CACHE/gopath"
KROOT="$GOPATH/src/k8s.io/kubernetes"
if [[ ! -f "$KROOT/.skiff-extracted" ]]; then
  rm -rf "$KROOT"
  mkdir -p "$KROOT"
  log "extracting into $KROOT"
  tar -xzf "$orig" -C "$KROOT" --strip-components=1
  touch "$KROOT/.skiff-extracted"
fi

# reflect2 1.0.1 reads runtime internals that moved in Go 1.18 (it crashes at init); 1.0.2 is API-compatible.
rm -rf "$KROOT/vendor/github.com/modern-go/reflect2"
mkdir -p "$KROOT/vendor/github.com/modern-go/reflect2"
cp "$REFLECT2"/*.go "$REFLECT2"/*.s "$KROOT/vendor/github.com/modern-go/reflect2/"

export GO111MODULE=off GOFLAGS= GOCACHE="$CACHE/gocache" GOBIN="$CACHE/bin"
cd "$KROOT"

# --- test/e2e/generated/bindata.go as hack/generate-bindata.sh makes it (with the vendored go-bindata) ---
if [[ ! -f test/e2e/generated/bindata.go ]]; then
  log "building go-bindata from vendor/ and generating test/e2e/generated/bindata.go"
  nice -n 10 go install k8s.io/kubernetes/vendor/github.com/go-bindata/go-bindata/go-bindata
  "$GOBIN/go-bindata" -nometadata -o test/e2e/generated/bindata.go.tmp -pkg generated \
    -ignore .jpg -ignore .png -ignore .md -ignore 'BUILD(\.bazel)?' \
    "test/conformance/testdata/..." \
    "test/e2e/testing-manifests/..." \
    "test/e2e_node/testing-manifests/..." \
    "test/images/..." \
    "test/fixtures/..."
  gofmt -s -w test/e2e/generated/bindata.go.tmp
  mv test/e2e/generated/bindata.go.tmp test/e2e/generated/bindata.go
fi

# --- e2e.test, versioned as upstream's build stamps it (GOPATH mode: vendored packages' import paths) ---
V=k8s.io/kubernetes/vendor/k8s.io
ldflags=""
for pkg in "$V/component-base/version" "$V/client-go/pkg/version"; do
  ldflags+=" -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=20 -X $pkg.gitTreeState=clean"
done
log "go test -c ./test/e2e (nice 10, -p $JOBS); a few minutes"
GOMAXPROCS=$JOBS nice -n 10 go test -c -vet=off -p "$JOBS" -ldflags "$ldflags" -o "$BIN.tmp" ./test/e2e
mv "$BIN.tmp" "$BIN"
log "built $BIN in $(($(date +%s) - start)) s"
echo "$BIN"
