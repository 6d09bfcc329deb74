#!/usr/bin/env bash
# ward pava scan against fail2ban on the same SSH log: the hosts each flags (fail2ban's sshd
# filter with its jail's defaults, maxretry 5 within findtime 10m; ward's standard rule
# ssh_bruteforce, 5 within 10m by source) must be the same; prints both times and the ratio.
# Needs fail2ban (Debian package) and python3. Run: bash gateway/benches/fail2ban.sh [LINES]
set -euo pipefail
cd "$(dirname "$0")/../.."
lines=${1:-200000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
command -v fail2ban-regex >/dev/null || { echo "fail2ban is not installed (apt-get install fail2ban)"; exit 2; }

python3 - "$lines" > "$work/auth.log" <<'PY'
import random, sys
random.seed(5424)
n = int(sys.argv[1])
t = 0
attackers = [f"203.0.113.{i}" for i in range(1, 60)] + [f"198.51.100.{i}" for i in range(1, 60)]
for i in range(n):
    t += random.choice([0, 0, 1, 1, 2, 3])
    stamp = f"Nov {25 + t // 86400:2d} {t // 3600 % 24:02d}:{t // 60 % 60:02d}:{t % 60:02d}"
    r = random.random()
    if r < 0.08:
        # A burst from one attacker: several failures within seconds.
        ip = random.choice(attackers)
        for k in range(random.choice([2, 3, 4, 6, 7])):
            user = random.choice(["root", "admin", "pi", "ubuntu"])
            if k % 3 == 2:
                print(f"{stamp} cam-{i % 9} sshd[{1000 + i}]: Invalid user {user} from {ip} port {40000 + k}")
            else:
                print(f"{stamp} cam-{i % 9} sshd[{1000 + i}]: Failed password for {user} from {ip} port {40000 + k} ssh2")
    elif r < 0.10:
        ip = random.choice(attackers)
        print(f"{stamp} cam-{i % 9} sshd[{1000 + i}]: Failed password for root from {ip} port 22 ssh2")
    elif r < 0.20:
        print(f"{stamp} cam-{i % 9} sshd[{1000 + i}]: Accepted publickey for admin from 192.168.6.20 port 51004 ssh2: ED25519 SHA256:p3E4kq")
    else:
        daemon = random.choice(["mosquitto[412]: New client connected from 192.168.3.10 as plug-3 (p2, c1, k60).",
                                "dnsmasq[55]: query[A] update.cameras.example from 192.168.2.11",
                                "systemd[1]: Started Daily apt download activities.",
                                "kernel: wlan0: link becomes ready"])
        print(f"{stamp} cam-{i % 9} {daemon}")
PY
echo "log: $(wc -l < "$work/auth.log") lines, $(du -h "$work/auth.log" | cut -f1)"

cargo build -q --release -p ward
ward=target/release/ward
mkdir "$work/policy"
printf '// The standard library alone: its ssh_bruteforce rule.\n' > "$work/policy/empty.ward"
$ward build "$work/policy" -o "$work/bundle" > /dev/null

start=$(date +%s.%N)
fail2ban-regex --print-all-matched "$work/auth.log" /etc/fail2ban/filter.d/sshd.conf > "$work/f2b.out" 2>&1
f2b=$(echo "$(date +%s.%N) - $start" | bc)
start=$(date +%s.%N)
$ward pava scan --bundle "$work/bundle" --year 2026 --format json "$work/auth.log" > "$work/ward.json" || true
wd=$(echo "$(date +%s.%N) - $start" | bc)

python3 - "$work" "$f2b" "$wd" <<'PY'
import json, re, sys, datetime
work, f2b, wd = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
# fail2ban: the matched lines, counted per host with its jail's defaults (maxretry 5, findtime 10m).
times = {}
for line in open(f"{work}/f2b.out"):
    m = re.match(r"\|\s+(\w{3} [ \d]\d \d\d:\d\d:\d\d) \S+ sshd\[\d+\]: .* from (\S+) port", line)
    if not m:
        continue
    t = datetime.datetime.strptime("2026 " + m.group(1), "%Y %b %d %H:%M:%S").timestamp()
    times.setdefault(m.group(2), []).append(t)
flagged_f2b = set()
for host, ts in times.items():
    ts.sort()
    lo = 0
    for hi in range(len(ts)):
        while ts[hi] - ts[lo] > 600:
            lo += 1
        if hi - lo + 1 >= 5:
            flagged_f2b.add(host)
            break
report = json.load(open(f"{work}/ward.json"))
flagged_ward = {i["group"].split("=", 1)[1] for i in report["incidents"] if i["rule"] == "ssh_bruteforce"}
print(f"fail2ban-regex: {f2b:.2f} s, {sum(len(v) for v in times.values())} failures matched, {len(flagged_f2b)} hosts flagged")
print(f"ward pava scan: {wd:.2f} s, {report['parsed']} lines parsed, {len(flagged_ward)} hosts flagged")
print(f"same hosts: {flagged_f2b == flagged_ward}; ward is {f2b / wd:.1f}x faster")
if flagged_f2b != flagged_ward:
    print("only fail2ban:", sorted(flagged_f2b - flagged_ward))
    print("only ward:", sorted(flagged_ward - flagged_f2b))
    sys.exit(1)
PY
