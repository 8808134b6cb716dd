#!/usr/bin/env bash
# A real one-machine Slurm cluster runs `vtrial run --shard slurm` as a 3-task job array; the
# shards are merged with `vtrial merge` and compared byte for byte with an unsharded run (every
# CSV and report.html). Called by `make test` (target slurm-test) after the Swift tests.
#
# Everything the cluster needs lives in a private temporary folder: its own munge key and socket,
# slurm.conf (from the layout of docs/cluster.md), spool, state, logs and pid files, on ports
# that are free. System configuration (/etc/slurm, /etc/munge) is not touched, and the daemons
# started here (munged, slurmctld, slurmd) are stopped by their pid when the script ends, on
# failure too. Needs root (the daemons run as root, SlurmUser=root); skipped otherwise.
# Installs munge and Slurm (Debian packages) only when missing.
#
#   Tests/slurm/run.sh [VTRIAL]     VTRIAL defaults to the debug build's vtrial
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VTRIAL=${1:-${VTRIAL:-}}
if [ -z "$VTRIAL" ]; then VTRIAL="$(cd "$ROOT" && swift build --show-bin-path)/vtrial"; fi
VTRIAL=$(cd "$(dirname "$VTRIAL")" && pwd)/$(basename "$VTRIAL")
PROTOCOL=$ROOT/Tests/EndToEndTests/Fixtures/shard-merge.yaml
PROTOCOL_ID=SHARD-MERGE
TASKS=3
STARTED=$SECONDS

say() { echo "slurm test: $*"; }

if [ "$(id -u)" != 0 ]; then
  say "skipped: needs root to run munged, slurmctld and slurmd"
  exit 0
fi
[ -x "$VTRIAL" ] || { say "no vtrial at $VTRIAL (run swift build first)"; exit 1; }

missing=""
for command in munged munge slurmctld slurmd sbatch sinfo scontrol scancel; do
  command -v "$command" >/dev/null 2>&1 || missing=1
done
if [ -n "$missing" ]; then
  say "installing munge and Slurm …"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends munge slurmctld slurmd slurm-client >/dev/null
fi

WORK=$(mktemp -d /tmp/vtrial-slurm.XXXXXX)
chmod 755 "$WORK"
DAEMONS=()        # pids of the daemons started here, in start order
JOB=""

cleanup() {
  local status=$?
  if [ -n "$JOB" ]; then scancel "$JOB" >/dev/null 2>&1 || true; fi
  local i
  for ((i = ${#DAEMONS[@]} - 1; i >= 0; i--)); do
    kill "${DAEMONS[i]}" 2>/dev/null || true
  done
  for ((i = ${#DAEMONS[@]} - 1; i >= 0; i--)); do
    wait "${DAEMONS[i]}" 2>/dev/null || true
  done
  if [ "$status" != 0 ]; then
    say "FAILED; logs:"
    for log in "$WORK"/log/*.log "$WORK"/task-*.out; do
      [ -f "$log" ] || continue
      echo "--- $log"; tail -n 30 "$log"
    done
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A TCP port nobody listens on, from $1 upwards.
free_port() {
  local port=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 2)); done
  echo "$port"
}

# Waits up to $1 seconds for the command after it to succeed.
wait_for() {
  local limit=$1; shift
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.5
  done
}

# munge: a private key and socket.
mkdir -p "$WORK/munge" "$WORK/log" "$WORK/state" "$WORK/spool"
dd if=/dev/urandom of="$WORK/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$WORK/munge/munge.key"
SOCKET=$WORK/munge/munge.socket
munged --foreground --force --socket="$SOCKET" --key-file="$WORK/munge/munge.key" \
  --pid-file="$WORK/munge/munged.pid" --seed-file="$WORK/munge/munged.seed" \
  --log-file="$WORK/log/munged.log" 2>>"$WORK/log/munged.log" &
DAEMONS+=($!)
wait_for 20 bash -c "munge -n -S '$SOCKET' | unmunge -S '$SOCKET'" || { say "munged did not start"; exit 1; }

# slurm.conf: slurm.conf.example's settings, paths in $WORK, free ports.
HOST=$(hostname -s 2>/dev/null || uname -n | cut -d. -f1)
CTLD_PORT=$(free_port 16817)
SLURMD_PORT=$(free_port $((CTLD_PORT + 1)))
export SLURM_CONF=$WORK/slurm.conf
cat >"$SLURM_CONF" <<EOF
ClusterName=vtrialtest
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$SOCKET
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldLogFile=$WORK/log/slurmctld.log
SlurmdLogFile=$WORK/log/slurmd.log
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
MailProg=/bin/true
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF

slurmctld -D -i -f "$SLURM_CONF" >>"$WORK/log/slurmctld.out" 2>&1 &
DAEMONS+=($!)
wait_for 30 scontrol ping || { say "slurmctld did not answer"; exit 1; }
slurmd -D -f "$SLURM_CONF" >>"$WORK/log/slurmd.out" 2>&1 &
DAEMONS+=($!)
node_idle() { [ "$(sinfo -h -n "$HOST" -o %t)" = idle ]; }
wait_for 60 node_idle || { say "node $HOST did not become idle"; sinfo; exit 1; }
say "cluster up after $((SECONDS - STARTED)) s (ports $CTLD_PORT, $SLURMD_PORT)"

# The array job: one shard per task, taken from SLURM_ARRAY_TASK_ID / _MIN / _STEP / _COUNT. The ids
# are stepped (1, 3, 5, …: --array=1-N:2), so the step Slurm reports is checked too.
JOB=$(sbatch --parsable --array=1-$((2 * TASKS - 1)):2 --cpus-per-task=1 --chdir="$WORK" \
  --output="$WORK/task-%a.out" \
  --wrap "'$VTRIAL' run '$PROTOCOL' --shard slurm --out '$WORK/Sharded' --threads 1 --quiet")
JOB=${JOB%%;*}
job_done() { [ -z "$(squeue -h -j "$JOB" 2>/dev/null)" ]; }
wait_for 150 job_done || { say "job $JOB did not finish"; squeue; exit 1; }
for k in $(seq 1 $TASKS); do
  [ -f "$WORK/Sharded/$PROTOCOL_ID.shards/$k-of-$TASKS/manifest.json" ] \
    || { say "task $k wrote no shard $k-of-$TASKS"; exit 1; }
done
say "job $JOB: $TASKS shards written after $((SECONDS - STARTED)) s"
JOB=""

"$VTRIAL" merge "$WORK/Sharded/$PROTOCOL_ID.shards" --protocol "$PROTOCOL"
"$VTRIAL" run "$PROTOCOL" --out "$WORK/Full" --quiet

for file in subjects.csv endpoints.csv adverse_events.csv efficacy.csv safety.csv comparisons.csv power.csv \
            timecourse.csv report.html; do
  cmp "$WORK/Full/$PROTOCOL_ID/$file" "$WORK/Sharded/$PROTOCOL_ID/$file" \
    || { say "$file of the merged Slurm shards differs from the unsharded run"; exit 1; }
done
say "passed: $TASKS Slurm array tasks merged byte-identical to the unsharded run ($((SECONDS - STARTED)) s)"
