//! `ward fleet status|devices|incidents --db URL [--format json]`: what the fleet's gateways
//! sent to PostgreSQL (`ward_gateway::fleet`): which gateway runs which bundle since when and
//! which lag behind, the inventory across sites by class, incidents by rule, class and
//! severity.

use std::path::PathBuf;

use ward_gateway::fleet::schema;

use crate::Outcome;
use crate::stdout::outln;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum View {
    /// Gateways: bundle revision and sequence, since when, things, incidents, audit entries
    /// in the database of those the gateway holds, last error, last seen; `BEHIND` when a
    /// higher sequence runs elsewhere, `SILENT` when not heard from for three minutes.
    Status,
    /// Things across sites, by class.
    Devices,
    /// Incidents across sites, by rule, class and severity.
    Incidents,
}

#[derive(clap::Args)]
pub struct Args {
    #[arg(value_enum)]
    view: View,
    /// The fleet database (`postgres://user:password@host/db`).
    #[arg(long, value_name = "URL")]
    db: String,
    /// A CA (PEM) trusted for the database server.
    #[arg(long, value_name = "FILE.pem")]
    ca: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

pub fn run(args: Args) -> Outcome {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: {error}");
            return Outcome::Failure;
        }
    };
    runtime.block_on(async {
        let client = match schema::connect(&args.db, args.ca.as_deref()).await {
            Ok(client) => client,
            Err(error) => {
                eprintln!("error: the fleet database: {error}");
                return Outcome::Failure;
            }
        };
        let shown = match args.view {
            View::Status => schema::status(&client).await.map(|rows| {
                show(&rows, args.format, |r| {
                    format!(
                        "{:<24} {} seq {:<6} since {}  things {:<6} incidents {:<6} audit {}/{} sent  seen {}{}{}{}",
                        r.gateway,
                        &r.revision[..r.revision.len().min(12)],
                        r.sequence.map_or("-".to_string(), |s| s.to_string()),
                        r.since,
                        r.things,
                        r.incidents,
                        r.audit_stored,
                        r.audit_entries,
                        r.seen_at,
                        if r.behind { "  BEHIND" } else { "" },
                        if r.silent { "  SILENT" } else { "" },
                        r.last_error
                            .as_ref()
                            .map(|e| format!("  last error: {e}"))
                            .unwrap_or_default()
                    )
                })
            }),
            View::Devices => schema::devices(&client).await.map(|rows| {
                show(&rows, args.format, |r| {
                    format!(
                        "{:<32} {:>7} things  {:>5} quarantined  on {} gateway(s)",
                        r.class, r.things, r.quarantined, r.gateways
                    )
                })
            }),
            View::Incidents => schema::incidents(&client).await.map(|rows| {
                show(&rows, args.format, |r| {
                    format!(
                        "{:<32} {:<24} {:<8} {:>7} incidents on {} gateway(s)",
                        r.rule,
                        r.class.as_deref().unwrap_or("(no thing)"),
                        r.severity,
                        r.incidents,
                        r.gateways
                    )
                })
            }),
        };
        match shown {
            Ok(()) => Outcome::Clean,
            Err(error) => {
                eprintln!("error: the fleet database: {error}");
                Outcome::Failure
            }
        }
    })
}

fn show<T: serde::Serialize>(rows: &[T], format: Format, line: impl Fn(&T) -> String) {
    match format {
        Format::Json => outln!("{}", serde_json::to_string_pretty(rows).unwrap_or_default()),
        Format::Text => {
            for row in rows {
                outln!("{}", line(row));
            }
        }
    }
}
