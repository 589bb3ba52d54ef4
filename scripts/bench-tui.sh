#!/usr/bin/env bash
# Benchmark of the terminal interface on the bundled demo site (not a test;
# CI does not run it). Needs tmux.
#
#   scripts/bench-tui.sh [path/to/portcullis]   (default: target/debug/portcullis)
#
# Measures, in an 80x24 tmux pane with a fresh state directory:
#  - start to first frame, 10 runs: the script notes the wall clock just
#    before tmux starts the binary; the binary, run with
#    PORTCULLIS_BENCH_FIRST_FRAME=FILE, writes the wall clock after its first
#    frame is drawn and how many checks were done by then;
#  - resident memory once every check has finished: VmRSS and VmHWM from
#    /proc/PID/status;
#  - idle CPU: utime+stime from /proc/PID/stat, 10 s apart, nothing pressed.
set -euo pipefail

bin=${1:-target/debug/portcullis}
bin=$(realpath "$bin")
runs=${RUNS:-10}
work=$(mktemp -d)
socket="portcullis-bench-$$"
trap 'tmux -L "$socket" kill-server 2>/dev/null || true; rm -rf "$work"' EXIT

now_ns() { date +%s%N; }

# Polls capture-pane until the pane shows $1 (deadline 30 s).
wait_for() {
  local deadline=$((SECONDS + 30))
  until tmux -L "$socket" capture-pane -p -t b | grep -qF -- "$1"; do
    if ((SECONDS > deadline)); then
      echo "the pane never showed: $1" >&2
      tmux -L "$socket" capture-pane -p -t b >&2
      exit 1
    fi
    sleep 0.02
  done
}

start_demo() { # state dir, first-frame file
  tmux -L "$socket" new-session -d -s b -x 80 -y 24 \
    "XDG_STATE_HOME=$1 PORTCULLIS_BENCH_FIRST_FRAME=$2 exec $bin demo"
}

# Unpack the demo once so that every timed run reuses the copy (as the
# second and later `portcullis demo` do); each run gets a fresh session.
seed="$work/seed"
start_demo "$seed" "$work/seed.ff"
wait_for "checked"
tmux -L "$socket" kill-server

echo "binary: $bin"
echo "first frame (ms from launch, checks done of total at that frame):"
frames=()
for i in $(seq 1 "$runs"); do
  state="$work/run$i"
  mkdir -p "$state/portcullis"
  cp -a "$seed/portcullis/demo" "$state/portcullis/"
  ff="$work/ff$i"
  t0=$(now_ns)
  start_demo "$state" "$ff"
  deadline=$((SECONDS + 30))
  until [[ -s $ff ]]; do
    ((SECONDS < deadline)) || { echo "no first frame in run $i" >&2; exit 1; }
    sleep 0.005
  done
  read -r t1 done total <"$ff"
  ms=$(((t1 - t0) / 1000000))
  frames+=("$ms")
  echo "  run $i: ${ms} ms ($done/$total checked)"
  wait_for "44/44 checked"
  tmux -L "$socket" kill-server
done
sorted=$(printf '%s\n' "${frames[@]}" | sort -n)
echo "  min $(head -1 <<<"$sorted") ms, median $(sed -n "$(((runs + 1) / 2))p" <<<"$sorted") ms, max $(tail -1 <<<"$sorted") ms"

# Memory and idle CPU: one more session, left alone once the checks finish.
state="$work/mem"
mkdir -p "$state/portcullis"
cp -a "$seed/portcullis/demo" "$state/portcullis/"
start_demo "$state" "$work/ffmem"
wait_for "44/44 checked"
sleep 3
pid=$(tmux -L "$socket" display-message -p -t b '#{pane_pid}')
grep -E '^(VmRSS|VmHWM)' "/proc/$pid/status" | sed 's/^/  /'
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
before=$(ticks)
sleep 10
after=$(ticks)
echo "  idle CPU over 10 s: $((after - before)) ticks (1 tick = 1/$hz s)"
