#!/usr/bin/env bash
# Real test/dev services for imgpipe without Docker: Apache Kafka (KRaft, one node), S3Proxy and Apicurio
# Registry (a schema registry with the Confluent API, in-memory storage) run as plain `java` processes from
# artifacts that Maven fetches from Maven Central; MariaDB and PostgreSQL are the machine's own servers, given
# an `imgpipe` application user.
#
#   scripts/services.sh up                 start/prepare everything and wait until each answers (idempotent)
#   scripts/services.sh down               stop Kafka, S3Proxy and the registry (the databases belong to the machine)
#   scripts/services.sh status             one line per service; exit status 1 if any is down
#   scripts/services.sh env [--app]        `export` lines for the test suites (or, with --app, for imgpipe)
#   scripts/services.sh start|stop|restart kafka|s3proxy|registry|mariadb|postgresql
#                                          (the databases are the machine's servers: stopping them needs root)
#   scripts/services.sh check              smoke test through the application's client libraries
#
# Kafka listens on three ports: plaintext (what the suites use), SASL_PLAINTEXT and SASL_SSL (TLS with a CA
# generated here); the SASL user and its generated password are in `env`.
#
#   source <(scripts/services.sh env)      or   eval "$(scripts/services.sh env)"
#
# Everything this script makes (jars, data, logs, pid files, generated passwords) lives in .services/ at the
# repo root, which git ignores. Delete it (after `down`) to start from nothing. IMGPIPE_SERVICES_DIR names
# another one, e.g. so that a second worktree or clone uses the services the first one started (the ports
# are fixed, so two sets cannot run at once).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HERE=$ROOT/scripts/services
STATE=${IMGPIPE_SERVICES_DIR:-$ROOT/.services}

HOST=127.0.0.1
# Fixed, non-default ports, so a developer's own Kafka or S3 emulator on the usual ports is left alone.
KAFKA_PORT=19092
KAFKA_CONTROLLER_PORT=19093
# The same broker behind SASL (SCRAM-SHA-256/512 and PLAIN), and behind TLS + SASL, for the secured-cluster tests.
KAFKA_SASL_PORT=19094
KAFKA_TLS_PORT=19095
KAFKA_SASL_USER=imgpipe
KAFKA_SASL_MECHANISM=SCRAM-SHA-256
S3PROXY_PORT=18080
# Apicurio Registry's Confluent-compatible schema registry API.
REGISTRY_PORT=18081
MYSQL_PORT=3306
POSTGRES_PORT=5432
S3_REGION=us-east-1
TEST_BUCKET=imgpipe-test
APP_BUCKET=imgpipe
DB_USER=imgpipe
DB_NAME=imgpipe

KAFKA_DIR=$STATE/kafka
S3PROXY_DIR=$STATE/s3proxy

# Generated files hold credentials; nothing here is meant for other users of the machine.
umask 077

log() { printf 'services: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# Names the failing service, shows the end of its log, and stops: the caller (CI, a developer) needs to see why.
fail_service() {
  local name=$1 logfile=$2
  shift 2
  log "FAILED: $name: $*"
  if [[ -n $logfile && -f $logfile ]]; then
    printf -- '--- last 40 lines of %s ---\n' "$logfile" >&2
    tail -n 40 "$logfile" >&2 || true
    printf -- '--- end of %s ---\n' "$logfile" >&2
  fi
  exit 1
}

now_ms() { date +%s%3N; }

# Quotes a value for `eval`/`source`: the S3 URL holds `?` and `&`.
shell_quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

random_hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

# Serialises commands that change state, so that two `up`s (two terminals, a test restarting the broker)
# cannot start a service twice. Processes started under the lock must not inherit fd 9, or they would hold
# the lock for as long as they run: every launch below closes it.
take_lock() {
  mkdir -p "$STATE"
  exec 9>"$STATE/.lock"
  if ! flock -w 300 9; then die "another scripts/services.sh has held $STATE/.lock for 5 minutes"; fi
}

# --- generated secrets --------------------------------------------------------------------------------------

SECRETS=$STATE/secrets.env

# Creates missing secrets once and reuses them afterwards; the values are hex so that they need no quoting in
# SQL, URLs or properties files.
ensure_secrets() {
  # Only the file decides: a variable of the same name in the caller's environment must not leak in.
  unset SVC_MYSQL_PASSWORD SVC_POSTGRES_PASSWORD SVC_S3_ACCESS_KEY SVC_S3_SECRET_KEY \
    SVC_KAFKA_SASL_PASSWORD SVC_KAFKA_TLS_PASSWORD
  mkdir -p "$STATE"
  touch "$SECRETS"
  chmod 600 "$SECRETS"
  # shellcheck source=/dev/null
  source "$SECRETS"
  local name length
  for name in SVC_MYSQL_PASSWORD:16 SVC_POSTGRES_PASSWORD:16 SVC_S3_ACCESS_KEY:10 SVC_S3_SECRET_KEY:20 \
    SVC_KAFKA_SASL_PASSWORD:16 SVC_KAFKA_TLS_PASSWORD:16; do
    length=${name#*:}
    name=${name%%:*}
    if [[ -z ${!name:-} ]]; then
      printf '%s=%s\n' "$name" "$(random_hex "$length")" >>"$SECRETS"
    fi
  done
  # shellcheck source=/dev/null
  source "$SECRETS"
}

load_secrets() {
  unset SVC_MYSQL_PASSWORD SVC_POSTGRES_PASSWORD SVC_S3_ACCESS_KEY SVC_S3_SECRET_KEY \
    SVC_KAFKA_SASL_PASSWORD SVC_KAFKA_TLS_PASSWORD
  [[ -s $SECRETS ]] || die "no generated credentials yet in $SECRETS: run scripts/services.sh up first"
  # shellcheck source=/dev/null
  source "$SECRETS"
}

# --- helpers ------------------------------------------------------------------------------------------------

# Renders a template: every @KEY@ becomes VALUE (plain string replacement, so paths need no escaping).
render() {
  local template=$1 out=$2 text kv
  shift 2
  text=$(<"$template")
  for kv in "$@"; do
    text=${text//"@${kv%%=*}@"/"${kv#*=}"}
  done
  printf '%s\n' "$text" >"$out.tmp"
  mv -f "$out.tmp" "$out"
}

# Who listens on a TCP port, as one line ("" when nobody does).
port_listener() {
  local port=$1
  if command -v ss >/dev/null; then
    ss -Hltnp "sport = :$port" 2>/dev/null | head -n 1
  elif (exec 3<>"/dev/tcp/$HOST/$port") 2>/dev/null; then
    echo "something on $HOST:$port"
  fi
}

require_port_free() {
  local port=$1 service=$2 owner
  owner=$(port_listener "$port")
  if [[ -n $owner ]]; then
    fail_service "$service" "" "port $port is taken by another process, not by the $service this script started:" \
      "$owner (stop it, or free the port)"
  fi
}

# The pid in a pid file, if that process is alive and is still the one we started (its command line names
# our config file); pid files outlive reboots and pids get reused.
live_pid() {
  local pidfile=$1 marker=$2 pid
  [[ -f $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$marker" || return 1
  echo "$pid"
}

# Starts a long-running process detached from the calling shell (its own session, stdio to a log file), so it
# survives the terminal or CI step that ran `up`. Prints its pid. The subshell exec()s setsid, which (not being
# a process-group leader) exec()s the command in place: $! is the service's own pid. Returns once that exec
# has happened, so that a check of the pid's command line right after cannot see the forked shell instead.
launch() {
  local logfile=$1 pid tries=0 ours
  shift
  (exec setsid "$@" </dev/null >>"$logfile" 2>&1 9>&-) &
  pid=$!
  ours=$(tr '\0' ' ' <"/proc/$$/cmdline")
  while ((tries++ < 200)) && [[ $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) == "$ours" ]]; do sleep 0.01; done
  echo "$pid"
}

# Alive and not a zombie: a service started by an earlier `up` is reparented to whatever reaps orphans here,
# which can leave it a zombie for most of a second after it has exited and released its ports.
pid_running() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat:0:1} != Z ]]
}

stop_pid() {
  local name=$1 pid=$2 waited=0
  kill -TERM "$pid" 2>/dev/null || return 0
  # 60 s is far more than a clean shutdown needs; past it the data can take an unclean stop.
  while pid_running "$pid"; do
    if ((waited >= 1200)); then
      log "$name (pid $pid) ignored SIGTERM for 60 s: killing it"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.05
    waited=$((waited + 1))
  done
  while pid_running "$pid"; do sleep 0.05; done
}

java_major_version() {
  java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | head -n 1
}

require_java() {
  command -v java >/dev/null || die "java (17 or newer) is not installed"
  local major
  major=$(java_major_version)
  [[ ${major%%.*} =~ ^[0-9]+$ && ${major%%.*} -ge 17 ]] || die "java 17 or newer is needed, found ${major:-unknown}"
}

# Copies a pom's runtime dependencies into libs/, unless libs/ already holds them for this exact pom (the
# marker stores the pom's hash, so changing a pinned version refetches). Jars stay in ~/.m2, so a refetch
# is a local copy.
fetch_libs() {
  local name=$1 pom=$2 dir=$3 hash
  hash=$(sha256sum "$pom" | cut -d' ' -f1)
  if [[ -f $dir/.complete && $(<"$dir/.complete") == "$hash" ]]; then return 0; fi
  command -v mvn >/dev/null || die "mvn (Apache Maven) is not installed: it fetches the $name jars"
  log "fetching $name jars with Maven (first run only) ..."
  local started tmp=$dir.tmp logfile
  started=$(now_ms)
  logfile=$(dirname "$dir")/maven.log
  rm -rf "$tmp"
  if ! mvn -B -q -f "$pom" org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp" >"$logfile" 2>&1 9>&-; then
    fail_service "$name" "$logfile" "Maven could not fetch the jars listed in $pom"
  fi
  printf '%s\n' "$hash" >"$tmp/.complete"
  rm -rf "$dir"
  mv "$tmp" "$dir"
  log "fetched $name jars in $(($(now_ms) - started)) ms"
}

# --- Debian tools the tests use -------------------------------------------------------------------------------

# Debian packages the suites call: kcat, Chromium (browser tests), tmux (terminal viewer), and the science oracles —
# astropy (reference FITS reader and WCS), fitsverify, cfitsio's fpack/funpack, Apache avro and confluent-kafka
# (how the community brokers read alert packets). Oracles only: imgpipe itself never runs them.
DEBIAN_TEST_PACKAGES=(kcat chromium tmux fitsverify libcfitsio-bin python3-astropy python3-avro python3-confluent-kafka)

package_installed() { [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]; }

ensure_tools() {
  local missing=() package
  for package in "${DEBIAN_TEST_PACKAGES[@]}"; do
    package_installed "$package" || missing+=("$package")
  done
  ((${#missing[@]} == 0)) && return 0
  if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null; then
    log "warning: missing ${missing[*]} (not root, or no apt-get: install them yourself)"
    return 0
  fi
  log "installing ${missing[*]} with apt-get ..."
  local logfile=$STATE/apt.log
  # Another apt-get (the machine's or a colleague's) may hold the dpkg lock: wait for it rather than fail.
  if ! { apt-get -o DPkg::Lock::Timeout=600 update -q &&
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q "${missing[@]}"; } \
    </dev/null >"$logfile" 2>&1 9>&-; then
    fail_service "tools" "$logfile" "apt-get could not install ${missing[*]}"
  fi
}

# --- Kafka --------------------------------------------------------------------------------------------------

KAFKA_PROPERTIES=$KAFKA_DIR/server.properties
KAFKA_LOG=$KAFKA_DIR/kafka.log
KAFKA_PID=$KAFKA_DIR/kafka.pid

kafka_version() { sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$HERE/kafka-pom.xml"; }

kafka_pid() { live_pid "$KAFKA_PID" "$KAFKA_PROPERTIES"; }

# G1 settings as in Kafka's own kafka-server-start.sh; 512m is plenty for tests. TieredStopAtLevel=1 (C1
# only) roughly halves the broker's start-up time on two busy cores, at a cost in peak throughput that
# tests never reach: do not benchmark the broker itself with these settings.
KAFKA_JVM_OPTS=(-Xms512m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
  -XX:TieredStopAtLevel=1 -Djava.awt.headless=true "-Dlog4j2.configurationFile=$HERE/kafka-log4j2.properties"
  -cp "$KAFKA_DIR/libs/*")
# A class-data-sharing archive of the broker's classes makes every start after the first about a third
# faster. The first broker records the classes it loads; once it is up, a low-priority background JVM dumps
# the archive from that list (about 10 s of CPU, once). Both live beside the jars, so refetching them drops
# them; the JVM itself ignores an archive that does not match its jars or its own build.
KAFKA_CDS=$KAFKA_DIR/libs/kafka.jsa
KAFKA_CLASSLIST=$KAFKA_DIR/libs/kafka.classlist

# Ready means a metadata request answers and names our broker (kcat); without kcat, the broker's own
# "started" log line since this launch plus an accepted TCP connection.
kafka_answers() {
  local since=${1:-0}
  # kcat waits its whole timeout on a closed port: a refused connection answers at once.
  (exec 3<>"/dev/tcp/$HOST/$KAFKA_PORT") 2>/dev/null || return 1
  if command -v kcat >/dev/null; then
    timeout 5 kcat -b "$HOST:$KAFKA_PORT" -L -m 3 2>/dev/null | grep -q " broker 1 at $HOST:$KAFKA_PORT" 2>/dev/null
  else
    tail -c +"$((since + 1))" "$KAFKA_LOG" 2>/dev/null | grep -q 'Kafka Server started'
  fi
}

# Renders server.properties as it should be into $1.
kafka_render() {
  render "$HERE/kafka-server.properties.in" "$1" \
    HOST="$HOST" PORT="$KAFKA_PORT" CONTROLLER_PORT="$KAFKA_CONTROLLER_PORT" LOG_DIR="$KAFKA_DIR/data" \
    SASL_PORT="$KAFKA_SASL_PORT" TLS_PORT="$KAFKA_TLS_PORT" SASL_USER="$KAFKA_SASL_USER" \
    SASL_PASSWORD="$SVC_KAFKA_SASL_PASSWORD" TLS_KEYSTORE="$KAFKA_TLS_DIR/broker.p12" TLS_PASSWORD="$SVC_KAFKA_TLS_PASSWORD"
}

# The TLS listener's certificates, made once with the JDK's keytool: a CA (its certificate exported as PEM for
# clients: $KAFKA_CA_FILE) and a broker key whose certificate that CA signs for $HOST and localhost. The marker
# holds a hash of what they were made for, so a regenerated keystore password or host remakes them. Passwords
# reach keytool through its environment (-storepass:env), never its command line.
KAFKA_TLS_DIR=$KAFKA_DIR/tls
KAFKA_CA_FILE=$KAFKA_TLS_DIR/ca.pem

kafka_tls_ensure() {
  local want tmp=$KAFKA_TLS_DIR.tmp logfile=$KAFKA_DIR/keytool.log
  want=$(printf '%s\n' "$HOST" "$SVC_KAFKA_TLS_PASSWORD" | sha256sum | cut -d' ' -f1)
  if [[ -f $KAFKA_TLS_DIR/.complete && $(<"$KAFKA_TLS_DIR/.complete") == "$want" && -s $KAFKA_CA_FILE ]]; then return 0; fi
  command -v keytool >/dev/null || die "keytool (part of the JDK) is not installed: it makes the Kafka TLS certificates"
  log "making the Kafka TLS certificates with keytool (first run only) ..."
  rm -rf "$tmp"
  mkdir -p "$tmp"
  : >"$logfile"
  # Ten years: test certificates that expire in the middle of someone's work help nobody.
  local days=3650 san="SAN=ip:$HOST,dns:localhost"
  kt() { KT_PASSWORD=$SVC_KAFKA_TLS_PASSWORD keytool "$@" -storepass:env KT_PASSWORD </dev/null >>"$logfile" 2>&1 9>&-; }
  if ! {
    kt -genkeypair -alias ca -keyalg RSA -keysize 2048 -validity "$days" -dname "CN=imgpipe test CA" \
      -ext bc:c -ext ku:c=keyCertSign,cRLSign -keystore "$tmp/ca.p12" -storetype PKCS12 &&
      kt -exportcert -rfc -alias ca -keystore "$tmp/ca.p12" -file "$tmp/ca.pem" &&
      kt -genkeypair -alias broker -keyalg RSA -keysize 2048 -validity "$days" -dname "CN=$HOST" \
        -ext "$san" -keystore "$tmp/broker.p12" -storetype PKCS12 &&
      kt -certreq -alias broker -keystore "$tmp/broker.p12" -file "$tmp/broker.csr" &&
      kt -gencert -alias ca -keystore "$tmp/ca.p12" -infile "$tmp/broker.csr" -outfile "$tmp/broker.pem" -rfc \
        -validity "$days" -ext "$san" -ext ku:c=digitalSignature,keyEncipherment -ext eku=serverAuth &&
      kt -importcert -noprompt -alias ca -file "$tmp/ca.pem" -keystore "$tmp/broker.p12" &&
      kt -importcert -noprompt -alias broker -file "$tmp/broker.pem" -keystore "$tmp/broker.p12"
  }; then
    fail_service kafka "$logfile" "keytool could not make the TLS certificates in $tmp"
  fi
  rm -f "$tmp/broker.csr"
  printf '%s\n' "$want" >"$tmp/.complete"
  rm -rf "$KAFKA_TLS_DIR"
  mv "$tmp" "$KAFKA_TLS_DIR"
}

kafka_prepare() {
  require_java
  mkdir -p "$KAFKA_DIR/data"
  fetch_libs kafka "$HERE/kafka-pom.xml" "$KAFKA_DIR/libs"
  kafka_tls_ensure
  kafka_render "$KAFKA_PROPERTIES"
  # Formatting costs a JVM start: only a log dir that was never formatted needs it.
  if [[ ! -f $KAFKA_DIR/data/meta.properties ]]; then
    local cluster_id
    if [[ ! -s $KAFKA_DIR/cluster-id ]]; then
      # A cluster id is 16 random bytes in unpadded base64url; Kafka's own generator avoids '-' and so do we.
      while :; do
        cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
        [[ $cluster_id != *-* ]] && break
      done
      printf '%s\n' "$cluster_id" >"$KAFKA_DIR/cluster-id"
    fi
    cluster_id=$(<"$KAFKA_DIR/cluster-id")
    if ! java "${KAFKA_JVM_OPTS[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_PROPERTIES" -g \
      </dev/null >>"$KAFKA_LOG" 2>&1 9>&-; then
      fail_service kafka "$KAFKA_LOG" "formatting the log dir $KAFKA_DIR/data failed"
    fi
    # A new log dir has no SCRAM users: kafka_users creates them once the broker answers.
    rm -f "$KAFKA_USERS_DONE"
  fi
}

# Starts the broker without waiting; kafka_wait waits. Returns at once if ours is already running.
kafka_launch() {
  if kafka_pid >/dev/null; then return 0; fi
  kafka_prepare
  require_port_free "$KAFKA_PORT" kafka
  require_port_free "$KAFKA_CONTROLLER_PORT" "kafka (controller)"
  require_port_free "$KAFKA_SASL_PORT" "kafka (SASL listener)"
  require_port_free "$KAFKA_TLS_PORT" "kafka (TLS listener)"
  KAFKA_LOG_OFFSET=$(stat -c %s "$KAFKA_LOG" 2>/dev/null || echo 0)
  printf '\n===== scripts/services.sh: starting Kafka %s at %s =====\n' "$(kafka_version)" "$(date -Is)" >>"$KAFKA_LOG"
  local cds=()
  if [[ -s $KAFKA_CDS ]]; then
    cds=("-XX:SharedArchiveFile=$KAFKA_CDS")
  elif [[ ! -s $KAFKA_CLASSLIST ]]; then
    cds=("-XX:DumpLoadedClassList=$KAFKA_CLASSLIST")
  fi
  launch "$KAFKA_LOG" java "${KAFKA_JVM_OPTS[@]}" "${cds[@]}" kafka.Kafka "$KAFKA_PROPERTIES" >"$KAFKA_PID"
}

kafka_wait() {
  local timeout_s=120 started pid
  started=$(now_ms)
  while :; do
    if ! pid=$(kafka_pid); then
      fail_service kafka "$KAFKA_LOG" "the broker process exited while starting"
    fi
    if kafka_answers "${KAFKA_LOG_OFFSET:-0}"; then break; fi
    if (($(now_ms) - started > timeout_s * 1000)); then
      fail_service kafka "$KAFKA_LOG" "no answer on $HOST:$KAFKA_PORT within $timeout_s s (pid $pid)"
    fi
    sleep 0.2
  done
}

# See KAFKA_CDS. Runs once per set of jars; a failed dump is not retried (the broker just starts without it).
kafka_cds_in_background() {
  [[ -s $KAFKA_CDS || -e $KAFKA_CDS.failed || ! -s $KAFKA_CLASSLIST ]] && return 0
  local snapshot=$KAFKA_CLASSLIST.snapshot
  if live_pid "$KAFKA_DIR/cds-dump.pid" "$snapshot" >/dev/null; then return 0; fi
  # The broker may still be appending to the list: leave out a possibly half-written last line.
  head -n -1 "$KAFKA_CLASSLIST" >"$snapshot"
  # shellcheck disable=SC2016 # $1..$3 are the inner shell's arguments
  launch "$KAFKA_DIR/cds-dump.log" nice -n 19 bash -c \
    'java -Xshare:dump -XX:SharedClassListFile="$1" -XX:SharedArchiveFile="$2.tmp" -cp "$3" && mv -f "$2.tmp" "$2" ||
       { rm -f "$2.tmp"; touch "$2.failed"; }' \
    kafka-cds "$snapshot" "$KAFKA_CDS" "$KAFKA_DIR/libs/*" >"$KAFKA_DIR/cds-dump.pid"
}

# SCRAM users live in the cluster metadata, so a log dir formatted before the SASL listeners existed (an
# upgraded .services/) needs them as much as a new one: they are created through the AlterUserScramCredentials
# API (node + @platformatic/kafka from node_modules; the password goes through the environment, not argv),
# once per log dir and password, and the script then logs in on both secured listeners to prove it.
KAFKA_USERS_DONE=$KAFKA_DIR/users.done

kafka_users() {
  local want cluster
  cluster=$(sed -n 's/^cluster\.id=//p' "$KAFKA_DIR/data/meta.properties" 2>/dev/null)
  want=$(printf '%s\n' "$KAFKA_SASL_USER" "$SVC_KAFKA_SASL_PASSWORD" "$cluster" | sha256sum | cut -d' ' -f1)
  if [[ -f $KAFKA_USERS_DONE && $(<"$KAFKA_USERS_DONE") == "$want" ]]; then return 0; fi
  if ! command -v node >/dev/null || [[ ! -d $ROOT/node_modules/@platformatic/kafka ]]; then
    log "warning: node_modules/@platformatic/kafka is not installed (npm ci): the Kafka SASL user $KAFKA_SASL_USER" \
      "is not created yet; run scripts/services.sh up again after npm ci"
    return 0
  fi
  local logfile=$KAFKA_DIR/users.log
  if ! KAFKA_SASL_PASSWORD=$SVC_KAFKA_SASL_PASSWORD NODE_NO_WARNINGS=1 node "$HERE/kafka-users.mjs" \
    "$HOST:$KAFKA_PORT" "$HOST:$KAFKA_SASL_PORT" "$HOST:$KAFKA_TLS_PORT" "$KAFKA_CA_FILE" "$KAFKA_SASL_USER" \
    </dev/null >"$logfile" 2>&1 9>&-; then
    fail_service kafka "$logfile" "creating or checking the SCRAM user $KAFKA_SASL_USER failed"
  fi
  printf '%s\n' "$want" >"$KAFKA_USERS_DONE"
  log "kafka: SASL user $KAFKA_SASL_USER ready (SASL_PLAINTEXT $HOST:$KAFKA_SASL_PORT, SASL_SSL $HOST:$KAFKA_TLS_PORT)"
}

kafka_start() {
  local started
  started=$(now_ms)
  if kafka_pid >/dev/null && kafka_answers; then
    kafka_users
    return 0
  fi
  kafka_launch
  kafka_wait
  kafka_users
  kafka_cds_in_background
  log "kafka up on $HOST:$KAFKA_PORT (pid $(kafka_pid)) in $(($(now_ms) - started)) ms"
}

kafka_stop() {
  local pid started
  started=$(now_ms)
  if pid=$(kafka_pid); then
    stop_pid kafka "$pid"
    log "kafka stopped (pid $pid) in $(($(now_ms) - started)) ms"
  fi
  rm -f "$KAFKA_PID"
}

# --- S3Proxy ------------------------------------------------------------------------------------------------

S3PROXY_PROPERTIES=$S3PROXY_DIR/s3proxy.properties
S3PROXY_LOG=$S3PROXY_DIR/s3proxy.log
S3PROXY_PID=$S3PROXY_DIR/s3proxy.pid
S3_ENDPOINT=http://$HOST:$S3PROXY_PORT

s3proxy_version() { sed -n 's:.*<s3proxy.version>\(.*\)</s3proxy.version>.*:\1:p' "$HERE/s3proxy-pom.xml"; }

s3proxy_pid() { live_pid "$S3PROXY_PID" "$S3PROXY_PROPERTIES"; }

# /healthz exists from S3Proxy 3.2.0 and needs no signature.
s3proxy_answers() {
  [[ $(curl -s -o /dev/null -m 3 -w '%{http_code}' "$S3_ENDPOINT/healthz" 2>/dev/null) == 200 ]]
}

# Renders s3proxy.properties as it should be into $1.
s3proxy_render() {
  render "$HERE/s3proxy.properties.in" "$1" HOST="$HOST" PORT="$S3PROXY_PORT" \
    ACCESS_KEY="$SVC_S3_ACCESS_KEY" SECRET_KEY="$SVC_S3_SECRET_KEY" DATA_DIR="$S3PROXY_DIR/data"
}

s3proxy_launch() {
  if s3proxy_pid >/dev/null; then return 0; fi
  require_java
  mkdir -p "$S3PROXY_DIR/data"
  fetch_libs s3proxy "$HERE/s3proxy-pom.xml" "$S3PROXY_DIR/libs"
  s3proxy_render "$S3PROXY_PROPERTIES"
  require_port_free "$S3PROXY_PORT" s3proxy
  printf '\n===== scripts/services.sh: starting S3Proxy %s at %s =====\n' "$(s3proxy_version)" "$(date -Is)" >>"$S3PROXY_LOG"
  launch "$S3PROXY_LOG" java -Xms64m -Xmx256m -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlogback.configurationFile="$HERE/s3proxy-logback.xml" \
    -cp "$S3PROXY_DIR/libs/*" org.gaul.s3proxy.Main --properties "$S3PROXY_PROPERTIES" >"$S3PROXY_PID"
}

s3proxy_wait() {
  local timeout_s=90 started pid
  started=$(now_ms)
  while :; do
    if ! pid=$(s3proxy_pid); then
      fail_service s3proxy "$S3PROXY_LOG" "the S3Proxy process exited while starting"
    fi
    if s3proxy_answers; then break; fi
    if (($(now_ms) - started > timeout_s * 1000)); then
      fail_service s3proxy "$S3PROXY_LOG" "no answer from $S3_ENDPOINT/healthz within $timeout_s s (pid $pid)"
    fi
    sleep 0.2
  done
}

# Buckets are made with signed S3 requests (node + @aws-sdk/client-s3 from node_modules). A bucket of the
# filesystem backend is a directory under the basedir, so an existing directory means there is nothing to do,
# and creating the directory is the fallback when node_modules is not installed yet.
s3proxy_buckets() {
  local missing=() bucket
  for bucket in "$TEST_BUCKET" "$APP_BUCKET"; do
    [[ -d $S3PROXY_DIR/data/$bucket ]] || missing+=("$bucket")
  done
  ((${#missing[@]} == 0)) && return 0
  if command -v node >/dev/null && [[ -d $ROOT/node_modules/@aws-sdk/client-s3 ]]; then
    # NODE_NO_WARNINGS: the AWS SDK's notice about Node 20 support would be the only thing in the log.
    if ! AWS_ACCESS_KEY_ID=$SVC_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SVC_S3_SECRET_KEY AWS_REGION=$S3_REGION \
      NODE_NO_WARNINGS=1 node "$HERE/create-buckets.mjs" "$S3_ENDPOINT" "${missing[@]}" >>"$S3PROXY_LOG" 2>&1 9>&-; then
      fail_service s3proxy "$S3PROXY_LOG" "creating the buckets ${missing[*]} failed"
    fi
  else
    log "node_modules/@aws-sdk/client-s3 not installed: creating buckets ${missing[*]} as directories"
    for bucket in "${missing[@]}"; do mkdir -p "$S3PROXY_DIR/data/$bucket"; done
  fi
}

s3proxy_start() {
  local started
  started=$(now_ms)
  if ! { s3proxy_pid >/dev/null && s3proxy_answers; }; then
    s3proxy_launch
    s3proxy_wait
    log "s3proxy up on $S3_ENDPOINT (pid $(s3proxy_pid)) in $(($(now_ms) - started)) ms"
  fi
  s3proxy_buckets
}

s3proxy_stop() {
  local pid
  if pid=$(s3proxy_pid); then
    stop_pid s3proxy "$pid"
    log "s3proxy stopped (pid $pid)"
  fi
  rm -f "$S3PROXY_PID"
}

# --- Schema registry (Apicurio) -------------------------------------------------------------------------------

# Apicurio Registry 2.6 with in-memory storage (H2 in memory: a restart forgets every schema, which suits tests),
# reached through its Confluent Schema Registry compatible API. See scripts/services/registry-pom.xml for why
# this version and artifact.
REGISTRY_DIR=$STATE/registry
REGISTRY_LOG=$REGISTRY_DIR/registry.log
REGISTRY_PID=$REGISTRY_DIR/registry.pid
REGISTRY_ROOT=http://$HOST:$REGISTRY_PORT
REGISTRY_URL=$REGISTRY_ROOT/apis/ccompat/v7

registry_version() { sed -n 's:.*<registry.version>\(.*\)</registry.version>.*:\1:p' "$HERE/registry-pom.xml"; }

registry_jar() { echo "$REGISTRY_DIR/app/apicurio-registry-app-$(registry_version)-runner.jar"; }

registry_pid() { live_pid "$REGISTRY_PID" "$(registry_jar)"; }

# Quarkus' readiness check answers 200 once storage is initialised; the ccompat API is then served.
registry_answers() {
  [[ $(curl -s -o /dev/null -m 3 -w '%{http_code}' "$REGISTRY_ROOT/health/ready" 2>/dev/null) == 200 ]]
}

# Fetches the release archive (Maven) and unpacks it once per archive (the marker holds the pom's hash).
registry_prepare() {
  require_java
  mkdir -p "$REGISTRY_DIR"
  fetch_libs registry "$HERE/registry-pom.xml" "$REGISTRY_DIR/dist"
  local want archive tmp=$REGISTRY_DIR/app.tmp
  want=$(<"$REGISTRY_DIR/dist/.complete")
  if [[ -f $REGISTRY_DIR/app/.complete && $(<"$REGISTRY_DIR/app/.complete") == "$want" ]]; then return 0; fi
  archive=$(find "$REGISTRY_DIR/dist" -maxdepth 1 -name 'apicurio-registry-app-*-all.tar.gz' | head -n 1)
  [[ -n $archive ]] || fail_service registry "" "no apicurio-registry-app-*-all.tar.gz in $REGISTRY_DIR/dist"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  tar -xzf "$archive" -C "$tmp" || fail_service registry "" "could not unpack $archive"
  printf '%s\n' "$want" >"$tmp/.complete"
  rm -rf "$REGISTRY_DIR/app"
  mv "$tmp" "$REGISTRY_DIR/app"
}

registry_launch() {
  if registry_pid >/dev/null; then return 0; fi
  registry_prepare
  require_port_free "$REGISTRY_PORT" registry
  printf '\n===== scripts/services.sh: starting Apicurio Registry %s at %s =====\n' "$(registry_version)" "$(date -Is)" \
    >>"$REGISTRY_LOG"
  # Loopback only; C1 only, as for the other JVMs here (faster start on two busy cores). In-memory storage is
  # this artifact's only kind. Quarkus reports a 5 s start on an idle machine; allow 15 s or more under load.
  launch "$REGISTRY_LOG" java -Xms64m -Xmx384m -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dquarkus.http.host="$HOST" -Dquarkus.http.port="$REGISTRY_PORT" -jar "$(registry_jar)" >"$REGISTRY_PID"
}

registry_wait() {
  local timeout_s=120 started pid
  started=$(now_ms)
  while :; do
    if ! pid=$(registry_pid); then
      fail_service registry "$REGISTRY_LOG" "the registry process exited while starting"
    fi
    if registry_answers; then break; fi
    if (($(now_ms) - started > timeout_s * 1000)); then
      fail_service registry "$REGISTRY_LOG" "no answer from $REGISTRY_ROOT/health/ready within $timeout_s s (pid $pid)"
    fi
    sleep 0.2
  done
}

registry_start() {
  local started
  started=$(now_ms)
  if registry_pid >/dev/null && registry_answers; then return 0; fi
  registry_launch
  registry_wait
  log "registry up on $REGISTRY_URL (pid $(registry_pid)) in $(($(now_ms) - started)) ms"
}

registry_stop() {
  local pid
  if pid=$(registry_pid); then
    stop_pid registry "$pid"
    log "registry stopped (pid $pid)"
  fi
  rm -f "$REGISTRY_PID"
}

# --- MariaDB ------------------------------------------------------------------------------------------------

MYSQL_ERROR_LOG=/var/log/mysql/error.log

mariadb_alive() { mariadb-admin -h"$HOST" -P"$MYSQL_PORT" -uroot --connect-timeout=2 ping >/dev/null 2>&1; }

# Root over TCP with the empty password is how this machine kind comes; the socket (unix_socket auth as
# the OS root) is the fallback where the TCP root account has a password.
# shellcheck disable=SC2120 # callers pass the SQL on stdin; arguments are for interactive use
mariadb_root() {
  if mariadb -h"$HOST" -P"$MYSQL_PORT" -uroot --connect-timeout=5 -e 'SELECT 1' >/dev/null 2>&1; then
    mariadb -h"$HOST" -P"$MYSQL_PORT" -uroot --connect-timeout=5 "$@"
  else
    mariadb -uroot --connect-timeout=5 "$@"
  fi
}

mariadb_ensure_running() {
  if mariadb_alive; then return 0; fi
  [[ $(id -u) == 0 ]] || fail_service mariadb "" "not answering on $HOST:$MYSQL_PORT, and only root can start it"
  log "mariadb is not running: starting it"
  # /run is a tmpfs: after a reboot the socket/pid directory is gone. my.cnf has user=mysql, so root may start it.
  install -d -o mysql -g mysql /run/mysqld
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd </dev/null >/dev/null 2>&1 9>&- ||
    fail_service mariadb "$MYSQL_ERROR_LOG" "start-stop-daemon could not start /usr/sbin/mariadbd"
  local tries=0
  until mariadb_alive; do
    ((tries++ < 300)) || fail_service mariadb "$MYSQL_ERROR_LOG" "not answering on $HOST:$MYSQL_PORT 60 s after start"
    sleep 0.2
  done
}

mariadb_setup() {
  mariadb_ensure_running
  local pw=$SVC_MYSQL_PASSWORD host sql="CREATE DATABASE IF NOT EXISTS \`$DB_NAME\`;"
  # 127.0.0.1 for TCP clients (the server runs with skip-name-resolve), localhost for the socket. ALTER USER
  # re-applies the password, so a regenerated secrets file heals the accounts. `imgpipe%` also covers the
  # tests' throw-away databases imgpipe_t_*.
  for host in 127.0.0.1 localhost; do
    sql+="CREATE USER IF NOT EXISTS '$DB_USER'@'$host' IDENTIFIED BY '$pw';"
    sql+="ALTER USER '$DB_USER'@'$host' IDENTIFIED BY '$pw';"
    sql+="GRANT ALL PRIVILEGES ON \`$DB_NAME%\`.* TO '$DB_USER'@'$host';"
  done
  # SQL on stdin, not argv: the password stays out of `ps`.
  printf '%s\n' "$sql" | mariadb_root 2>"$STATE/mariadb-setup.log" ||
    fail_service mariadb "$STATE/mariadb-setup.log" "creating user/database $DB_USER/$DB_NAME as root failed"
  if ! printf 'DROP DATABASE IF EXISTS imgpipe_t_probe; CREATE DATABASE imgpipe_t_probe; DROP DATABASE imgpipe_t_probe;\n' |
    MYSQL_PWD=$pw mariadb -h"$HOST" -P"$MYSQL_PORT" -u"$DB_USER" --connect-timeout=5 "$DB_NAME" 2>"$STATE/mariadb-setup.log"; then
    fail_service mariadb "$STATE/mariadb-setup.log" "user $DB_USER cannot log in over TCP or create/drop imgpipe_t_probe"
  fi
}

mariadb_start() { mariadb_ensure_running; }

# For the fault tests: the machine's server, stopped as its init script would (a clean shutdown), until the
# port no longer answers and the process is gone.
mariadb_stop() {
  if ! mariadb_alive && ! pgrep -x mariadbd >/dev/null; then return 0; fi
  [[ $(id -u) == 0 ]] || fail_service mariadb "" "only root can stop the machine's MariaDB"
  start-stop-daemon --stop --oknodo --retry TERM/60/KILL/5 --exec /usr/sbin/mariadbd </dev/null >/dev/null 2>&1 9>&- ||
    fail_service mariadb "$MYSQL_ERROR_LOG" "start-stop-daemon could not stop /usr/sbin/mariadbd"
  ! mariadb_alive || fail_service mariadb "$MYSQL_ERROR_LOG" "still answering on $HOST:$MYSQL_PORT after stop"
  log "mariadb stopped"
}

# --- PostgreSQL ---------------------------------------------------------------------------------------------

postgres_version() { find /etc/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -V | tail -n 1; }

postgres_alive() { pg_isready -q -h "$HOST" -p "$POSTGRES_PORT" -t 2 >/dev/null 2>&1; }

# shellcheck disable=SC2120 # callers pass the SQL on stdin; arguments are for interactive use
postgres_root() {
  if psql -h "$HOST" -p "$POSTGRES_PORT" -U postgres -d postgres -Atqc 'SELECT 1' >/dev/null 2>&1 </dev/null; then
    psql -h "$HOST" -p "$POSTGRES_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -Atq "$@"
  else
    runuser -u postgres -- psql -p "$POSTGRES_PORT" -d postgres -v ON_ERROR_STOP=1 -Atq "$@"
  fi
}

postgres_ensure_running() {
  if postgres_alive; then return 0; fi
  [[ $(id -u) == 0 ]] || fail_service postgresql "" "not answering on $HOST:$POSTGRES_PORT, and only root can start it"
  local version logfile=$STATE/postgresql-start.log
  version=$(postgres_version)
  [[ -n $version ]] || fail_service postgresql "" "no cluster under /etc/postgresql"
  log "postgresql $version is not running: starting it"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start </dev/null >"$logfile" 2>&1 9>&- ||
    fail_service postgresql "$logfile" "pg_ctlcluster $version main start failed"
  local tries=0
  until postgres_alive; do
    ((tries++ < 300)) || fail_service postgresql "$logfile" "not answering on $HOST:$POSTGRES_PORT 60 s after start"
    sleep 0.2
  done
}

postgresql_start() { postgres_ensure_running; }

# A fast shutdown (clients disconnected, no crash recovery on start), as `pg_ctlcluster stop` does by default.
postgresql_stop() {
  if ! postgres_alive; then return 0; fi
  [[ $(id -u) == 0 ]] || fail_service postgresql "" "only root can stop the machine's PostgreSQL"
  local version logfile=$STATE/postgresql-stop.log
  version=$(postgres_version)
  [[ -n $version ]] || fail_service postgresql "" "no cluster under /etc/postgresql"
  pg_ctlcluster --skip-systemctl-redirect "$version" main stop -m fast </dev/null >"$logfile" 2>&1 9>&- ||
    fail_service postgresql "$logfile" "pg_ctlcluster $version main stop failed"
  ! postgres_alive || fail_service postgresql "$logfile" "still answering on $HOST:$POSTGRES_PORT after stop"
  log "postgresql stopped"
}

postgres_setup() {
  postgres_ensure_running
  local pw=$SVC_POSTGRES_PASSWORD logfile=$STATE/postgresql-setup.log
  # ALTER ROLE re-applies the password, so a regenerated secrets file heals the role. CREATEDB lets the
  # tests create (and, as owner, drop) their throw-away imgpipe_t_* databases.
  {
    printf "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '%s') THEN CREATE ROLE %s; END IF; END \$\$;\n" "$DB_USER" "$DB_USER"
    printf "ALTER ROLE %s WITH LOGIN CREATEDB PASSWORD '%s';\n" "$DB_USER" "$pw"
    # CREATE DATABASE cannot run inside DO: \gexec runs it only when the SELECT returns a row.
    printf "SELECT 'CREATE DATABASE %s OWNER %s' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '%s')\\\\gexec\n" \
      "$DB_NAME" "$DB_USER" "$DB_NAME"
    printf "ALTER DATABASE %s OWNER TO %s;\n" "$DB_NAME" "$DB_USER"
  } | postgres_root >"$logfile" 2>&1 ||
    fail_service postgresql "$logfile" "creating role/database $DB_USER/$DB_NAME as postgres failed"
  if ! PGPASSWORD=$pw PGCONNECT_TIMEOUT=5 psql -h "$HOST" -p "$POSTGRES_PORT" -U "$DB_USER" -d "$DB_NAME" -Atq \
    -v ON_ERROR_STOP=1 -c 'DROP DATABASE IF EXISTS imgpipe_t_probe' -c 'CREATE DATABASE imgpipe_t_probe' \
    -c 'DROP DATABASE imgpipe_t_probe' </dev/null >"$logfile" 2>&1; then
    fail_service postgresql "$logfile" "role $DB_USER cannot log in over TCP or create/drop imgpipe_t_probe"
  fi
}

# --- commands -----------------------------------------------------------------------------------------------

cmd_up() {
  local started
  started=$(now_ms)
  take_lock
  ensure_secrets
  ensure_tools
  # A running service whose configuration has changed since it started (an edited template, regenerated
  # credentials) is restarted: `up` promises the services as this checkout describes them.
  local service
  for service in kafka s3proxy; do
    if "${service}_pid" >/dev/null; then
      local current=$S3PROXY_PROPERTIES
      [[ $service == kafka ]] && current=$KAFKA_PROPERTIES
      "${service}_render" "$current.next"
      if ! cmp -s "$current" "$current.next"; then
        log "$service configuration changed: restarting it"
        "${service}_stop"
      fi
      rm -f "$current.next"
    fi
  done
  # Both JVMs start in the background while the databases are prepared; then we wait for each.
  local kafka_was_up=0 s3_was_up=0
  if kafka_pid >/dev/null && kafka_answers; then kafka_was_up=1; else kafka_launch; fi
  if s3proxy_pid >/dev/null && s3proxy_answers; then s3_was_up=1; else s3proxy_launch; fi
  local registry_was_up=0
  if registry_pid >/dev/null && registry_answers; then registry_was_up=1; else registry_launch; fi
  mariadb_setup
  postgres_setup
  ((kafka_was_up)) || kafka_wait
  kafka_users
  kafka_cds_in_background
  ((s3_was_up)) || s3proxy_wait
  s3proxy_buckets
  ((registry_was_up)) || registry_wait
  log "all services up in $(($(now_ms) - started)) ms (kafka $HOST:$KAFKA_PORT, s3proxy $HOST:$S3PROXY_PORT," \
    "registry $HOST:$REGISTRY_PORT, mariadb $HOST:$MYSQL_PORT, postgresql $HOST:$POSTGRES_PORT); next: source <(scripts/services.sh env)"
}

cmd_down() {
  take_lock
  kafka_stop
  s3proxy_stop
  registry_stop
  log "kafka, s3proxy and the registry stopped; mariadb and postgresql are the machine's and stay up"
}

cmd_status() {
  local all_up=0 pid
  line() { printf '%-11s %-5s %s\n' "$1" "$2" "$3"; }
  if pid=$(kafka_pid) && kafka_answers; then
    local secured="SASL on :$KAFKA_SASL_PORT, TLS + SASL on :$KAFKA_TLS_PORT"
    line kafka up "kafka://$HOST:$KAFKA_PORT (Kafka $(kafka_version), pid $pid, log ${KAFKA_LOG#"$ROOT"/}; $secured)"
  elif pid=$(kafka_pid); then
    line kafka down "kafka://$HOST:$KAFKA_PORT (pid $pid running but not answering; log ${KAFKA_LOG#"$ROOT"/})"
    all_up=1
  else
    line kafka down "kafka://$HOST:$KAFKA_PORT"
    all_up=1
  fi
  if pid=$(s3proxy_pid) && s3proxy_answers; then
    line s3proxy up "$S3_ENDPOINT (S3Proxy $(s3proxy_version), pid $pid, data ${S3PROXY_DIR#"$ROOT"/}/data)"
  else
    line s3proxy down "$S3_ENDPOINT"
    all_up=1
  fi
  if pid=$(registry_pid) && registry_answers; then
    line registry up "$REGISTRY_URL (Apicurio Registry $(registry_version), in memory, pid $pid)"
  else
    line registry down "$REGISTRY_URL"
    all_up=1
  fi
  if mariadb_alive; then line mariadb up "mysql://$DB_USER@$HOST:$MYSQL_PORT/$DB_NAME"; else
    line mariadb down "$HOST:$MYSQL_PORT"
    all_up=1
  fi
  if postgres_alive; then line postgresql up "postgres://$DB_USER@$HOST:$POSTGRES_PORT/$DB_NAME"; else
    line postgresql down "$HOST:$POSTGRES_PORT"
    all_up=1
  fi
  return "$all_up"
}

cmd_env() {
  load_secrets
  local mode=${1:-}
  export_line() { printf 'export %s=%s\n' "$1" "$(shell_quote "$2")"; }
  local s3_options="endpoint=$S3_ENDPOINT&region=$S3_REGION&forcePathStyle=true"
  case $mode in
    '')
      export_line IMGPIPE_TEST_MYSQL_URL "mysql://$DB_USER@$HOST:$MYSQL_PORT/$DB_NAME"
      export_line IMGPIPE_TEST_MYSQL_PASSWORD "$SVC_MYSQL_PASSWORD"
      export_line IMGPIPE_TEST_POSTGRES_URL "postgres://$DB_USER@$HOST:$POSTGRES_PORT/$DB_NAME"
      export_line IMGPIPE_TEST_POSTGRES_PASSWORD "$SVC_POSTGRES_PASSWORD"
      export_line IMGPIPE_TEST_KAFKA_URL "kafka://$HOST:$KAFKA_PORT"
      # Secrets files from before the SASL listeners have no Kafka password: `up` adds it (and the user).
      if [[ -n ${SVC_KAFKA_SASL_PASSWORD:-} ]]; then
        export_line IMGPIPE_TEST_KAFKA_SASL_URL "kafka://$HOST:$KAFKA_SASL_PORT"
        export_line IMGPIPE_TEST_KAFKA_SASL_MECHANISM "$KAFKA_SASL_MECHANISM"
        export_line IMGPIPE_TEST_KAFKA_SASL_USERNAME "$KAFKA_SASL_USER"
        export_line IMGPIPE_TEST_KAFKA_SASL_PASSWORD "$SVC_KAFKA_SASL_PASSWORD"
        export_line IMGPIPE_TEST_KAFKA_TLS_URL "kafkas://$HOST:$KAFKA_TLS_PORT"
        export_line IMGPIPE_TEST_KAFKA_CA_FILE "$KAFKA_CA_FILE"
      else
        log "warning: no Kafka SASL password in $SECRETS yet: run scripts/services.sh up"
      fi
      export_line IMGPIPE_TEST_S3_URL "s3://$TEST_BUCKET?$s3_options"
      export_line IMGPIPE_TEST_SCHEMA_REGISTRY_URL "$REGISTRY_URL"
      ;;
    --app)
      export_line IMGPIPE_DATABASE_URL "mysql://$DB_USER@$HOST:$MYSQL_PORT/$DB_NAME"
      export_line IMGPIPE_DATABASE_PASSWORD "$SVC_MYSQL_PASSWORD"
      export_line IMGPIPE_OBJECT_STORE_URL "s3://$APP_BUCKET?$s3_options"
      export_line IMGPIPE_BROKER_URL "kafka://$HOST:$KAFKA_PORT"
      ;;
    *) die "usage: scripts/services.sh env [--app]" ;;
  esac
  export_line AWS_ACCESS_KEY_ID "$SVC_S3_ACCESS_KEY"
  export_line AWS_SECRET_ACCESS_KEY "$SVC_S3_SECRET_KEY"
  export_line AWS_REGION "$S3_REGION"
}

cmd_service() {
  local action=$1 service=${2:-}
  case $service in
    kafka | s3proxy | registry | mariadb | postgresql) ;;
    *) die "usage: scripts/services.sh $action kafka|s3proxy|registry|mariadb|postgresql" ;;
  esac
  take_lock
  ensure_secrets
  case $action in
    start) "${service}_start" ;;
    stop) "${service}_stop" ;;
    restart)
      "${service}_stop"
      "${service}_start"
      ;;
  esac
}

cmd_check() {
  [[ -d $ROOT/node_modules/@platformatic/kafka && -d $ROOT/node_modules/@aws-sdk/client-s3 ]] ||
    die "check needs node_modules (npm ci) for @platformatic/kafka and @aws-sdk/client-s3"
  eval "$(cmd_env)"
  NODE_NO_WARNINGS=1 node "$HERE/smoke.mjs"
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env "${2:-}" ;;
  start | stop | restart) cmd_service "$1" "${2:-}" ;;
  check) cmd_check ;;
  -h | --help | help) usage ;;
  *)
    usage >&2
    exit 2
    ;;
esac
