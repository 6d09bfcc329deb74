//! The fleet benchmark: N simulated gateways (tasks, each with its own state database and the
//! real telemetry sender: `ward_gateway::fleet::Simulated`) write audit entries at a steady
//! rate, and send them to one PostgreSQL. Reports rows per second stored, the end-to-end lag
//! (an entry's time in the gateway to its `stored_at` in the database: median and p99) and
//! PostgreSQL's CPU (its processes' time, from /proc, over the run's wall time).
//!
//! PostgreSQL needs a connection per gateway (`max_connections` above N). On a scratch server:
//!
//! ```sh
//! mkdir -p /tmp/benchpg && chown postgres /tmp/benchpg
//! runuser -u postgres -- /usr/lib/postgresql/15/bin/initdb -D /tmp/benchpg/data -A trust -U postgres
//! runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D /tmp/benchpg/data -l /tmp/benchpg/log \
//!     -o "-p 55432 -k /tmp/benchpg -c listen_addresses=127.0.0.1 -c max_connections=1100" start
//! cargo run --release -p ward-gateway --example fleet_bench -- \
//!     --db 'postgres://postgres@127.0.0.1:55432/postgres?sslmode=disable' --gateways 1000 --seconds 60 --every-ms 1000
//! ```
//!
//! The state databases go to /dev/shm (a gateway writes its own on its own disk; here a
//! thousand share one machine, whose disk would be measured instead of PostgreSQL).

use std::time::{Duration, Instant};

use ward_gateway::fleet::{FleetSettings, Simulated};

struct Args {
    db: String,
    gateways: usize,
    seconds: u64,
    every_ms: u64,
}

fn args() -> Result<Args, String> {
    let mut out = Args {
        db: String::new(),
        gateways: 1000,
        seconds: 60,
        every_ms: 1000,
    };
    let mut given = std::env::args().skip(1);
    while let Some(flag) = given.next() {
        let value = given.next().ok_or(format!("{flag} needs a value"))?;
        let number = |v: &str| v.parse::<u64>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--db" => out.db = value,
            "--gateways" => out.gateways = number(&value)? as usize,
            "--seconds" => out.seconds = number(&value)?,
            "--every-ms" => out.every_ms = number(&value)?.max(1),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if out.db.is_empty() {
        return Err("--db URL is required".to_string());
    }
    Ok(out)
}

/// The CPU time (seconds) of every `postgres` process of this machine.
fn postgres_cpu() -> f64 {
    let ticks = 100.0; // USER_HZ on Linux
    let mut total = 0u64;
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ...: utime and stime are the 14th and 15th fields.
        let Some((comm, rest)) = stat.split_once(") ") else {
            continue;
        };
        if !comm.ends_with("(postgres") {
            continue;
        }
        let fields: Vec<&str> = rest.split(' ').collect();
        let field = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or(0)
        };
        total += field(11) + field(12);
    }
    total as f64 / ticks
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args = args()?;
    let client = ward_gateway::fleet::schema::connect(&args.db, None).await?;
    client
        .execute("DELETE FROM fleet_audit WHERE gateway LIKE 'bench-%'", &[])
        .await
        .map_err(|e| e.to_string())?;
    client
        .execute(
            "DELETE FROM fleet_gateways WHERE gateway LIKE 'bench-%'",
            &[],
        )
        .await
        .map_err(|e| e.to_string())?;
    let folder = tempfile_in_shm()?;
    let mut gateways = Vec::new();
    for i in 0..args.gateways {
        let settings = FleetSettings {
            gateway_id: format!("bench-{i}"),
            url: args.db.clone(),
            ca: None,
        };
        gateways.push(Simulated::start(
            &folder.join(format!("gw-{i}.sqlite")),
            settings,
        )?);
    }
    eprintln!(
        "{} gateways started; writing for {} s",
        args.gateways, args.seconds
    );
    let cpu_before = postgres_cpu();
    let started = Instant::now();
    let mut writers = Vec::new();
    for (i, gateway) in gateways.into_iter().enumerate() {
        let (every, seconds) = (Duration::from_millis(args.every_ms), args.seconds);
        writers.push(tokio::spawn(async move {
            // Spread over the interval, so the fleet does not write in step.
            tokio::time::sleep(every.mul_f64((i % 997) as f64 / 997.0)).await;
            let gateway = std::sync::Arc::new(gateway);
            let mut written = 0u64;
            let mut tick = tokio::time::interval(every);
            while started.elapsed() < Duration::from_secs(seconds) {
                tick.tick().await;
                let g = gateway.clone();
                let detail = serde_json::json!({ "n": written });
                if tokio::task::spawn_blocking(move || g.audit("bench", &detail))
                    .await
                    .is_ok_and(|r| r.is_ok())
                {
                    written += 1;
                }
            }
            (written, gateway)
        }));
    }
    let mut written = 0u64;
    let mut keep = Vec::new();
    for writer in writers {
        let (n, gateway) = writer.await.map_err(|e| e.to_string())?;
        written += n;
        keep.push(gateway);
    }
    let wrote_for = started.elapsed();
    // Wait for the last entries to arrive.
    let stored = loop {
        let row = client
            .query_one(
                "SELECT count(*) FROM fleet_audit WHERE gateway LIKE 'bench-%' AND event = 'bench'",
                &[],
            )
            .await
            .map_err(|e| e.to_string())?;
        let stored: i64 = row.get(0);
        if stored as u64 >= written || started.elapsed() > wrote_for + Duration::from_secs(120) {
            break stored;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let wall = started.elapsed();
    let cpu = postgres_cpu() - cpu_before;
    let lag = client
        .query_one(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), percentile_cont(0.99) WITHIN GROUP (ORDER BY ms), max(ms)
             FROM (SELECT (extract(epoch FROM stored_at - at::timestamptz) * 1000)::float8 AS ms
                   FROM fleet_audit WHERE gateway LIKE 'bench-%' AND event = 'bench') lags",
            &[],
        )
        .await
        .map_err(|e| e.to_string())?;
    let (p50, p99, max): (Option<f64>, Option<f64>, Option<f64>) =
        (lag.get(0), lag.get(1), lag.get(2));
    println!(
        "gateways {}, every {} ms, {} s: written {written}, stored {stored} ({:.0} rows/s); lag median {:.0} ms, p99 {:.0} ms, max {:.0} ms; PostgreSQL CPU {:.2} s over {:.1} s ({:.0}% of a core)",
        args.gateways,
        args.every_ms,
        args.seconds,
        stored as f64 / wrote_for.as_secs_f64(),
        p50.unwrap_or(f64::NAN),
        p99.unwrap_or(f64::NAN),
        max.unwrap_or(f64::NAN),
        cpu,
        wall.as_secs_f64(),
        100.0 * cpu / wall.as_secs_f64()
    );
    drop(keep);
    let _ = std::fs::remove_dir_all(&folder);
    Ok(())
}

/// A fresh folder under /dev/shm (else the temp folder) for the state databases.
fn tempfile_in_shm() -> Result<std::path::PathBuf, String> {
    let base = if std::path::Path::new("/dev/shm").is_dir() {
        std::path::PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let folder = base.join(format!("ward-fleet-bench-{}", std::process::id()));
    std::fs::create_dir_all(&folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    Ok(folder)
}
