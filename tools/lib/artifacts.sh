# Pinned, checksummed artifacts in a versioned directory outside the repository. The roles copy
# them from the controller to each host (one archive per host), which is also the air-gapped path.
# shellcheck shell=bash

FABRIC_BINARIES="peer orderer configtxgen configtxlator cryptogen osnadmin"
FABRIC_RELEASE_URL="https://github.com/hyperledger/fabric/releases/download/v${FABRIC_VERSION}/hyperledger-fabric-linux-amd64-${FABRIC_VERSION}.tar.gz"
KAFKA_RELEASE_URL="https://archive.apache.org/dist/kafka/${KAFKA_VERSION}/kafka_${SCALA_VERSION}-${KAFKA_VERSION}.tgz"

# pack DIR OUT: a reproducible tar.gz (same input, same bytes), so checksum-guarded copies stay idempotent.
pack() {
  tar --sort=name --mtime='2000-01-01 00:00Z' --owner=0 --group=0 --numeric-owner \
    -C "$1" -cf - . | gzip -n >"$2.tmp" && mv "$2.tmp" "$2"
}

write_manifest() {
  (cd "$HLF_ARTIFACTS_DIR" && sha256sum -- *.tar.gz >SHA256SUMS.tmp && mv SHA256SUMS.tmp SHA256SUMS)
}

# Kafka 3.9.2 runtime classpath (ZooKeeper 3.8.4 included) from Maven Central, or Apache's release
# tarball when HLF_KAFKA_SOURCE=apache (users with internet; verified against its published sha512).
ensure_kafka_artifact() {
  local out="$HLF_ARTIFACTS_DIR/kafka-${KAFKA_VERSION}.tar.gz"
  [ -f "$out" ] && return 0
  local build="$HLF_CACHE/build/kafka-${KAFKA_VERSION}"
  rm -rf "$build" && mkdir -p "$build/libs"
  if [ "${HLF_KAFKA_SOURCE:-maven}" = apache ]; then
    local tgz="$HLF_CACHE/downloads/${KAFKA_RELEASE_URL##*/}"
    mkdir -p "${tgz%/*}"
    curl -fsSL --connect-timeout 20 -o "$tgz" "$KAFKA_RELEASE_URL"
    curl -fsSL --connect-timeout 20 -o "$tgz.sha512" "$KAFKA_RELEASE_URL.sha512"
    # Apache writes "name: HEX HEX ..." in groups; compare the bare hex.
    [ "$(tr -d ' \n' <"$tgz.sha512" | cut -d: -f2 | tr 'A-F' 'a-f')" = "$(sha512sum "$tgz" | cut -d' ' -f1)" ] ||
      die "checksum mismatch for $tgz"
    tar -xzf "$tgz" -C "$build/libs" --strip-components=2 --wildcards '*/libs/*'
  else
    command -v mvn >/dev/null || apt_install maven
    log "resolving Kafka ${KAFKA_VERSION} from Maven Central"
    mvn -B -q -f "$HLF_ROOT/tools/kafka-artifacts/pom.xml" \
      org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$build/libs" >"$build.log" 2>&1 ||
      die "Maven could not resolve Kafka; see $build.log"
  fi
  ls "$build/libs"/kafka_${SCALA_VERSION}-${KAFKA_VERSION}.jar "$build/libs"/zookeeper-3.8.*.jar \
    "$build/libs"/kafka-tools-${KAFKA_VERSION}.jar "$build/libs"/reload4j-*.jar >/dev/null ||
    die "the Kafka classpath in $build/libs is incomplete"
  mkdir -p "$HLF_ARTIFACTS_DIR"
  pack "$build" "$out"
  rm -rf "$build"
}

# Where Fabric comes from, first match wins: HLF_FABRIC_SOURCE (a release tarball or a directory
# holding bin/), the local cache $HLF_CACHE/fabric-local[.tar.gz], a previously downloaded release
# tarball, the official download (skipped under CI=true or HLF_FABRIC_DOWNLOAD=no).
# HLF_FABRIC_SOURCE=none runs everything without Fabric (its checks are then skipped, loudly).
# Once a release is accepted it is kept: only HLF_FABRIC_SOURCE replaces (or, with none, removes) it.
find_fabric_source() {
  local candidate
  [ "${HLF_FABRIC_SOURCE:-}" = none ] && return 1
  if [ -n "${HLF_FABRIC_SOURCE:-}" ]; then
    [ -e "$HLF_FABRIC_SOURCE" ] || die "HLF_FABRIC_SOURCE=$HLF_FABRIC_SOURCE does not exist"
    echo "$HLF_FABRIC_SOURCE"
    return 0
  fi
  for candidate in "$HLF_CACHE/fabric-local" "$HLF_CACHE/fabric-local.tar.gz" \
    "$HLF_CACHE/downloads/${FABRIC_RELEASE_URL##*/}"; do
    [ -e "$candidate" ] && { echo "$candidate"; return 0; }
  done
  local download=${HLF_FABRIC_DOWNLOAD:-yes}
  [ "${CI:-}" = true ] && download=${HLF_FABRIC_DOWNLOAD:-no}
  if [ "$download" = yes ]; then
    candidate="$HLF_CACHE/downloads/${FABRIC_RELEASE_URL##*/}"
    mkdir -p "${candidate%/*}"
    log "downloading the official Fabric ${FABRIC_VERSION} release"
    if curl -fsSL --connect-timeout 20 --max-time 900 -o "$candidate.part" "$FABRIC_RELEASE_URL"; then
      mv "$candidate.part" "$candidate" && echo "$candidate" && return 0
    fi
    rm -f "$candidate.part"
  fi
  return 1
}

ensure_fabric_artifact() {
  local out="$HLF_ARTIFACTS_DIR/hyperledger-fabric-${FABRIC_VERSION}.tar.gz"
  local missing="$HLF_ARTIFACTS_DIR/FABRIC_MISSING" source stage fingerprint
  mkdir -p "$HLF_ARTIFACTS_DIR"
  # An accepted release stays until the user names another with HLF_FABRIC_SOURCE (or says none).
  if [ -f "$out" ] && [ -z "${HLF_FABRIC_SOURCE:-}" ]; then
    rm -f "$missing"
    log "Fabric ${FABRIC_VERSION}: using the release accepted earlier from $(cut -d' ' -f1 "$out.source" 2>/dev/null || echo '?')"
    return 0
  fi
  if ! source=$(find_fabric_source); then
    rm -f "$out" "$out.source"
    cat >"$missing" <<MSG
Fabric ${FABRIC_VERSION} binaries are NOT available, so every check that needs Fabric is SKIPPED.
Looked for: HLF_FABRIC_SOURCE (${HLF_FABRIC_SOURCE:-unset}), $HLF_CACHE/fabric-local/bin,
$HLF_CACHE/fabric-local.tar.gz, $HLF_CACHE/downloads/${FABRIC_RELEASE_URL##*/};
the official download was not tried or failed (${FABRIC_RELEASE_URL}).
Provide them with: HLF_FABRIC_SOURCE=/path/to/hyperledger-fabric-linux-amd64-${FABRIC_VERSION}.tar.gz
(or a directory holding bin/peer, bin/orderer, ...), then run ./hlf setup again.
MSG
    warn "$(head -n1 "$missing")"
    return 0
  fi
  fingerprint="$source $(find "$source" -maxdepth 2 \( -name peer -o -name '*.tar.gz' \) -type f -exec sha256sum {} + | sort | sha256sum | cut -c1-16)"
  if [ -f "$out" ] && [ "$(cat "$out.source" 2>/dev/null)" = "$fingerprint" ]; then
    rm -f "$missing"
    return 0
  fi
  stage=$(mktemp -d "$HLF_CACHE/build/fabric.XXXXXX" 2>/dev/null || { mkdir -p "$HLF_CACHE/build" && mktemp -d "$HLF_CACHE/build/fabric.XXXXXX"; })
  mkdir -p "$stage/src" "$stage/pack/bin" "$stage/pack/config"
  if [ -d "$source" ]; then cp -a "$source/." "$stage/src/"; else tar -xzf "$source" -C "$stage/src"; fi
  local bin
  for bin in $FABRIC_BINARIES; do
    [ -x "$stage/src/bin/$bin" ] || die "Fabric source $source has no bin/$bin"
    cp "$stage/src/bin/$bin" "$stage/pack/bin/"
  done
  [ -d "$stage/src/config" ] && cp "$stage/src/config/"*.yaml "$stage/pack/config/"
  # Accept only the pinned release: the binary itself must say so.
  local reported
  for bin in peer orderer; do
    reported=$("$stage/pack/bin/$bin" version 2>&1 | awk '/^ Version:/ { print $2; exit }')
    [ "$reported" = "v${FABRIC_VERSION}" ] || [ "$reported" = "${FABRIC_VERSION}" ] ||
      die "$source: '$bin version' reports '${reported:-nothing}', expected ${FABRIC_VERSION}"
  done
  pack "$stage/pack" "$out"
  echo "$fingerprint" >"$out.source"
  rm -rf "$stage" "$missing"
  log "Fabric ${FABRIC_VERSION} accepted from $source"
}

# The Node.js chaincode runtime (npm fabric-shim + fabric-contract-api, production dependencies
# only) resolved from tools/chaincode-artifacts/package-lock.json: node_modules/ in one archive, which
# the chaincode servers use through NODE_PATH. No install script runs (none is needed: check-runtime.js
# refuses a package that would need one) and every package must admit the hosts' Node (bookworm: 18.20.4).
# Kept while package.json and package-lock.json are unchanged ($out.source holds their checksum).
ensure_chaincode_artifact() {
  local version=$CHAINCODE_NODE_VERSION target_node=18.20.4
  local out="$HLF_ARTIFACTS_DIR/fabric-chaincode-node-${version}.tar.gz"
  local src="$HLF_ROOT/tools/chaincode-artifacts" build="$HLF_CACHE/build/fabric-chaincode-node-${version}"
  local fingerprint
  fingerprint=$(cd "$src" && sha256sum package.json package-lock.json | sha256sum | cut -c1-16)
  [ -f "$out" ] && [ "$(cat "$out.source" 2>/dev/null)" = "$fingerprint" ] && return 0
  { command -v npm && command -v node; } >/dev/null || apt_install nodejs npm
  rm -rf "$build" && mkdir -p "$build"
  cp "$src/package.json" "$src/package-lock.json" "$build/"
  log "resolving fabric-shim and fabric-contract-api ${version} from npm"
  (cd "$build" && npm_config_cache="$HLF_CACHE/npm" npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
    --loglevel=error) >"$build.log" 2>&1 || die "npm could not install the chaincode runtime; see $build.log"
  node "$src/check-runtime.js" "$build" "$target_node" "$version" >>"$build.log" 2>&1 ||
    die "the chaincode runtime is not usable on the hosts' Node ${target_node}; see $build.log"
  # npm's hidden lockfile varies with the npm version, and npm applies the umask: drop the one and
  # normalize the modes so that every machine packs the same bytes.
  rm "$build/package.json" "$build/package-lock.json" "$build/node_modules/.package-lock.json"
  chmod -R u=rwX,go=rX "$build"
  mkdir -p "$HLF_ARTIFACTS_DIR"
  pack "$build" "$out"
  echo "$fingerprint" >"$out.source"
  rm -rf "$build"
  log "chaincode runtime packed: $(tail -n1 "$build.log")"
}

# The transaction client (tools/txclient: txclient.js, lib/ and its production node_modules from its
# package-lock.json) in one archive, for hosts with Debian's nodejs 18: `node txclient.js MODE ...`.
# Rebuilt when its sources change. Left out: install scripts and optional packages (pkcs11js, for
# HSM signers only, would need a compiler).
ensure_txclient_artifact() {
  local src="$HLF_ROOT/tools/txclient" out="$HLF_ARTIFACTS_DIR/hlf-txclient.tar.gz" build fingerprint
  fingerprint=$(cd "$src" && cat package.json package-lock.json txclient.js lib/*.js | sha256sum | cut -c1-16)
  [ -f "$out" ] && [ "$(cat "$out.source" 2>/dev/null)" = "$fingerprint" ] && return 0
  { command -v npm && command -v node; } >/dev/null || apt_install nodejs npm
  build="$HLF_CACHE/build/hlf-txclient"
  rm -rf "$build" && mkdir -p "$build"
  cp -r "$src/package.json" "$src/package-lock.json" "$src/txclient.js" "$src/lib" "$src/README.md" "$build/"
  log "resolving the transaction client's dependencies (@hyperledger/fabric-gateway) from npm"
  (cd "$build" && npm_config_cache="$HLF_CACHE/npm" npm ci --omit=dev --omit=optional --ignore-scripts \
    --no-audit --no-fund --loglevel=error) >"$build.log" 2>&1 || die "npm could not install the transaction client; see $build.log"
  (cd "$build" && node txclient.js --help && node -e 'require("./lib/fabric")') >>"$build.log" 2>&1 ||
    die "the transaction client does not load; see $build.log"
  # npm's hidden lockfile varies with the npm version, and npm applies the umask: drop the one and
  # normalize the modes so that every machine packs the same bytes.
  rm "$build/node_modules/.package-lock.json"
  chmod -R u=rwX,go=rX "$build"
  mkdir -p "$HLF_ARTIFACTS_DIR"
  pack "$build" "$out"
  echo "$fingerprint" >"$out.source"
  rm -rf "$build"
}

ensure_artifacts() {
  mkdir -p "$HLF_ARTIFACTS_DIR"
  ensure_kafka_artifact
  ensure_fabric_artifact
  ensure_chaincode_artifact
  ensure_txclient_artifact
  write_manifest
  (cd "$HLF_ARTIFACTS_DIR" && sha256sum --quiet -c SHA256SUMS) || die "artifact checksums do not match"
}
