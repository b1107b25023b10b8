//! Start-up, signals and shutdown: everything between a checked [`Config`] and
//! the transports.
//!
//! * SIGINT / SIGTERM cancel the shutdown token; transports finish and return.
//! * SIGHUP re-reads the `--catalog` files. A file that fails keeps its last
//!   good contents and logs why; the others are swapped in ([`crate::fetch`]
//!   also reloads files when they change, and fetches `--catalog-url`s).
//! * Every few hours (and at start and on reload) elements older than
//!   `--stale-after` are reported, because SGP4's error grows with their age.
//! * With `--metrics-listen`, the HTTP endpoint starts first, before the
//!   catalogue is loaded, so `/ready` answers 503 until the catalogue is in
//!   service and the DNS sockets are bound.
//! * With `--http-listen`, the live map starts once they are ([`crate::map`]).
//! * With `--pdns-listen`, the PowerDNS remote backend starts once the
//!   catalogue is in service.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use satloc_profiling::cpu::CpuProfile;

use crate::catalog::{Catalog, Loaded};
use crate::config::Config;
use crate::engine::{self, Listeners, UdpEngine, affinity};
use crate::fetch::stats::RefreshStats;
use crate::fetch::{Files, Sources};
use crate::floor::EchoFloor;
use crate::http::{self, Status};
use crate::map::{self, MapState};
use crate::metrics::{QueryMetrics, Ticks};
use crate::pdns;
use crate::position::{Located, locate};
use crate::rrl::RateLimiter;
use crate::service::Service;
use crate::synthetic::PlantedCost;

/// How often a long-running server re-checks element age.
const STALENESS_CHECK_EVERY: Duration = Duration::from_secs(6 * 3600);
/// How often the resonance integrator's states are moved along with the clock;
/// they reach a week ahead (`ephemeris/resonance.rs`), so a few hours is plenty.
const PREPARE_EVERY: Duration = Duration::from_secs(6 * 3600);
/// How long shutdown waits for a fetch or file reload in progress; saved
/// state is written atomically, so cutting one short loses nothing.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// Runs the server described by `config` until SIGINT or SIGTERM.
pub fn run(config: Config) -> Result<()> {
    if config.check {
        print_catalog(&load_catalog(&config)?.0, &config);
        return Ok(());
    }
    let runtime = build_runtime(&config)?;
    let shutdown = CancellationToken::new();
    let refresh = Arc::new(RefreshStats::default());
    let status = Arc::new(Status::new(
        Arc::clone(&refresh),
        Arc::clone(&config.engine.tcp_counters),
    ));
    start_http(&runtime, &config, &status, &shutdown)?;
    let (catalog, sources) = load_catalog(&config)?;
    report_staleness(&catalog, config.clock.now(), &config);
    warn_unreachable_nameservers(&config);
    let service = Arc::new(build_service(&config, catalog));
    status.set_service(Arc::clone(&service));
    let listeners = bind_dns(&config)?;
    status.set_sockets_bound();
    start_map(&runtime, &config, &service, &listeners, &shutdown)?;
    start_pdns_backend(&runtime, &config, &service, &shutdown)?;
    let profile = start_cpu_profile(&config.cpu_profiles)?;
    let running = Running {
        service,
        refresh,
        shutdown,
    };
    let result = runtime.block_on(serve(running, listeners, config, sources));
    runtime.shutdown_timeout(SHUTDOWN_GRACE);
    if let Some(profile) = profile {
        profile.finish().context("writing the CPU profile")?;
    }
    tracing::info!("stopped");
    result.context("serving")
}

/// The multi-threaded runtime, with `--threads` workers; with `--cpus`, the
/// process confined to the list and worker `i` pinned to `LIST[i]`
/// ([`affinity`]).
fn build_runtime(config: &Config) -> Result<tokio::runtime::Runtime> {
    let pins = match &config.engine.cpus {
        Some(cpus) => {
            // Every thread started from here on inherits the list.
            affinity::pin_current_thread(cpus.cpus())
                .with_context(|| format!("--cpus {cpus}: confining the process"))?;
            Some(Arc::new(affinity::RuntimePins::new(cpus.clone())))
        }
        None => None,
    };
    let on_start = pins.clone();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.threads)
        .thread_name("satloc-worker")
        .on_thread_start(move || {
            satloc_profiling::thread_init();
            if let Some(pins) = &on_start {
                pins.on_thread_start();
            }
        })
        .enable_all()
        .build()
        .context("starting the runtime")?;
    if let Some(pins) = pins
        && !pins.wait_for_workers(Duration::from_secs(5))
    {
        tracing::warn!(
            "--cpus: the runtime's workers did not all start in 5 s; some may be unpinned"
        );
    }
    Ok(runtime)
}

/// The catalogue the configuration names (files, saved state of the URLs, or
/// the embedded snapshot), prepared for now, and the sources that keep it fresh.
fn load_catalog(config: &Config) -> Result<(Catalog, Sources)> {
    let mut sources = Sources::load(&config.sources, &config.fetch, &config.naming)
        .context("loading the catalogue")?;
    let mut loaded = sources.build().context("loading the catalogue")?;
    log_warnings(&loaded);
    loaded.catalog.prepare(config.clock.now());
    Ok((loaded.catalog, sources))
}

/// A name server inside the zone without an address cannot be reached.
fn warn_unreachable_nameservers(config: &Config) {
    for ns in config.zone.unreachable_nameservers() {
        tracing::warn!(
            "name server {ns} is inside the zone but has no address, so resolvers cannot reach it \
             and zone checkers fail the delegation: give one with --ns {ns}=ADDR"
        );
    }
}

/// `--metrics-listen`: binds and starts the HTTP endpoint on `runtime`.
fn start_http(
    runtime: &tokio::runtime::Runtime,
    config: &Config,
    status: &Arc<Status>,
    shutdown: &CancellationToken,
) -> Result<()> {
    let Some(addr) = config.metrics_listen else {
        return Ok(());
    };
    let listener = runtime
        .block_on(http::bind(addr))
        .with_context(|| format!("--metrics-listen {addr}: cannot bind"))?;
    let local = listener.local_addr()?;
    tracing::info!("metrics on http://{local}/metrics, probes on /health and /ready");
    let serving = http::serve(listener, Arc::clone(status), shutdown.clone());
    runtime.spawn(async move {
        if let Err(err) = serving.await {
            tracing::error!("the HTTP endpoint stopped: {err}");
        }
    });
    Ok(())
}

/// `--http-listen`: binds and starts the live map on `runtime`, answering
/// from `service`, with `dig` commands for the DNS addresses bound.
fn start_map(
    runtime: &tokio::runtime::Runtime,
    config: &Config,
    service: &Arc<Service>,
    dns: &Listeners,
    shutdown: &CancellationToken,
) -> Result<()> {
    let Some(addr) = config.http_listen else {
        return Ok(());
    };
    let listener = runtime
        .block_on(http::bind(addr))
        .with_context(|| format!("--http-listen {addr}: cannot bind"))?;
    tracing::info!("map on http://{}/", listener.local_addr()?);
    let state = Arc::new(MapState {
        service: Arc::clone(service),
        dns: dns.local_addrs.clone(),
    });
    let serving = map::serve(listener, state, shutdown.clone());
    runtime.spawn(async move {
        if let Err(err) = serving.await {
            tracing::error!("the map stopped: {err}");
        }
    });
    Ok(())
}

/// `--pdns-listen`: binds and starts the PowerDNS remote backend on
/// `runtime`, once the service can answer (pdns's first call,
/// `getAllDomains`, fills its zone cache; a failure there would leave every
/// query REFUSED until its next refresh).
fn start_pdns_backend(
    runtime: &tokio::runtime::Runtime,
    config: &Config,
    service: &Arc<Service>,
    shutdown: &CancellationToken,
) -> Result<()> {
    let Some(addr) = config.pdns_listen else {
        return Ok(());
    };
    let listener = runtime
        .block_on(pdns::bind(addr))
        .with_context(|| format!("--pdns-listen {addr}: cannot bind"))?;
    let local = listener.local_addr()?;
    tracing::info!(
        "PowerDNS remote backend on http://{local}{}, zone {}",
        pdns::BASE_PATH,
        config.zone.apex
    );
    let serving = pdns::serve(listener, Arc::clone(service), shutdown.clone());
    runtime.spawn(async move {
        if let Err(err) = serving.await {
            tracing::error!("the PowerDNS remote backend stopped: {err}");
        }
    });
    Ok(())
}

/// Binds the DNS sockets: one UDP socket per runtime worker (per address) for
/// the engines that use several, and a TCP listener per address.
fn bind_dns(config: &Config) -> Result<Listeners> {
    let per_address = match config.engine.udp {
        UdpEngine::Loop | UdpEngine::Batch | UdpEngine::Uring => config.threads,
        UdpEngine::Spawn => 1,
    };
    let listeners = Listeners::bind(&config.listen, per_address)?;
    steer_by_cpu(config, &listeners);
    for addr in &listeners.local_addrs {
        tracing::info!(
            "listening on {addr} (UDP and TCP), zone {}",
            config.zone.apex
        );
    }
    Ok(listeners)
}

/// `--cpus` with an engine whose worker `i` owns socket `i` of each address
/// (batch, uring): steers datagrams to the socket of the CPU that received them. A
/// kernel that refuses only loses the locality, so it is a warning.
fn steer_by_cpu(config: &Config, listeners: &Listeners) {
    let Some(cpus) = &config.engine.cpus else {
        return;
    };
    if !matches!(config.engine.udp, UdpEngine::Batch | UdpEngine::Uring) {
        return;
    }
    for (group, addr) in listeners.udp.chunks(cpus.len()).zip(&listeners.local_addrs) {
        match affinity::steer_by_cpu(group, cpus) {
            Ok(()) => tracing::info!(
                "{addr}: one UDP worker on each of CPUs {cpus}, datagrams steered to the receiving CPU's"
            ),
            Err(err) => tracing::warn!(
                "{addr}: cannot steer datagrams by CPU ({err}); the kernel spreads them by flow instead"
            ),
        }
    }
}

/// The service `config` describes, answering from `catalog`. Start-up builds
/// it here and only here, so no flag can be parsed and then forgotten.
pub fn build_service(config: &Config, catalog: Catalog) -> Service {
    let mut service = Service::new(
        config.zone.clone(),
        config.clock,
        catalog,
        config.answer_path,
        // Busy work on every query's critical path, to validate profilers; none
        // unless `--synthetic-work-ns` asks for it.
        PlantedCost::calibrate(config.synthetic_work_ns),
    );
    if let Some(secret) = &config.cookie_secret {
        service = service.with_cookie_secret(secret.clone());
    }
    if let Some(options) = &config.rate_limit {
        tracing::info!(
            "rate limiting UDP responses: {} per second per /24 or /56 and response class, \
             every {} limited one slipped (0: none), {} exempt prefixes",
            options.rate,
            options.slip,
            options.exempt.len()
        );
        service = service.with_rate_limit(RateLimiter::new(options.clone()));
    }
    if config.metrics_listen.is_none() {
        return service;
    }
    // A counter shard for each thread that can answer queries: the runtime's
    // workers (TCP, and the async UDP engines) and the batch engine's UDP
    // workers, one per socket.
    let writers = config.threads * (1 + config.listen.len());
    service.with_metrics(Arc::new(QueryMetrics::new(writers, Ticks::shared())))
}

/// What the running server shares between its tasks.
struct Running {
    /// Answers queries.
    service: Arc<Service>,
    /// Where the fetchers and file reloads count their outcomes for `/metrics`.
    refresh: Arc<RefreshStats>,
    /// Cancelled by SIGINT or SIGTERM (or a dead transport); everything stops.
    shutdown: CancellationToken,
}

/// Serves until SIGINT or SIGTERM, keeping `sources` fresh, reloading on
/// SIGHUP and warning about stale elements meanwhile.
async fn serve(
    running: Running,
    listeners: Listeners,
    config: Config,
    sources: Sources,
) -> std::io::Result<()> {
    let Running {
        service,
        refresh,
        shutdown,
    } = running;
    let files = sources.start(Arc::clone(&service), refresh, &shutdown);
    tokio::spawn(watch_signals(
        Arc::clone(&service),
        config.clone(),
        files,
        shutdown.clone(),
    ));
    tokio::spawn(watch_staleness(
        Arc::clone(&service),
        config.clone(),
        shutdown.clone(),
    ));
    tokio::spawn(keep_prepared(Arc::clone(&service), shutdown.clone()));
    if config.echo_floor {
        tracing::info!("--echo-floor: echoing every message, no DNS answers");
        return engine::run(Arc::new(EchoFloor), listeners, config.engine, shutdown).await;
    }
    engine::run(service, listeners, config.engine, shutdown).await
}

/// `--cpu-profile`: starts sampling for every path given, or nothing.
fn start_cpu_profile(paths: &[PathBuf]) -> Result<Option<CpuProfile>> {
    if paths.is_empty() {
        return Ok(None);
    }
    let profile = CpuProfile::start_many(paths).with_context(|| {
        let paths: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        format!("--cpu-profile {}", paths.join(", "))
    })?;
    Ok(Some(profile))
}

fn log_warnings(loaded: &Loaded) {
    for warning in &loaded.warnings {
        tracing::warn!("{warning}");
    }
    tracing::info!("catalogue: {} objects", loaded.catalog.objects().len());
}

/// Installs the SIGINT, SIGTERM and SIGHUP handlers at once, before the
/// transports answer anything (a signal that came before them would kill the
/// process uncleanly), and returns the task that acts on them.
fn watch_signals(
    service: Arc<Service>,
    config: Config,
    files: Arc<Files>,
    shutdown: CancellationToken,
) -> impl Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let handlers = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    );
    async move {
        let (Ok(mut interrupt), Ok(mut terminate), Ok(mut hangup)) = handlers else {
            tracing::error!("cannot install signal handlers");
            return;
        };
        loop {
            tokio::select! {
                _ = interrupt.recv() => break,
                _ = terminate.recv() => break,
                _ = hangup.recv() => {
                    // Off the runtime's threads: a reload may wait for a fetch
                    // that is building its catalogue.
                    let (service, files, config) =
                        (Arc::clone(&service), Arc::clone(&files), config.clone());
                    let reloaded =
                        tokio::task::spawn_blocking(move || reload(&service, &files, &config));
                    if let Err(err) = reloaded.await {
                        tracing::error!("catalogue reload failed: {err}");
                    }
                }
            }
        }
        tracing::info!("shutting down");
        shutdown.cancel();
    }
}

/// Re-reads the `--catalog` files; a file that fails keeps its last good
/// contents in service (each file logs its own line).
fn reload(service: &Service, files: &Files, config: &Config) {
    let summary = files.reload_all();
    if summary.reloaded > 0 {
        tracing::info!(
            "catalogue reloaded ({} files; {} kept their last good contents): {} objects",
            summary.reloaded,
            summary.failed,
            service.catalog().objects().len()
        );
        report_staleness(&service.catalog(), service.clock().now(), config);
    } else if summary.failed == 0 {
        tracing::info!("SIGHUP: no --catalog files to reload (URLs are fetched on their schedule)");
    }
}

/// Moves the resonance integrator states along with the clock (see
/// [`Catalog::prepare`]), off the query path: a blocking-pool thread prepares a
/// clone of the catalogue, which replaces the one in service unless a reload
/// came first.
async fn keep_prepared(service: Arc<Service>, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(PREPARE_EVERY) => {}
        }
        let service = Arc::clone(&service);
        let prepared = tokio::task::spawn_blocking(move || prepare_in_service(&service));
        if let Err(err) = prepared.await {
            tracing::error!("preparing the resonance integrator failed: {err}");
        }
    }
}

/// Prepares the catalogue in service for now, if it is not already.
fn prepare_in_service(service: &Service) {
    let now = service.clock().now();
    let current = service.catalog();
    if current.is_prepared_for(now) {
        return;
    }
    let mut next = Catalog::clone(&current);
    next.prepare(now);
    if !service.replace_catalog_if(&current, next) {
        tracing::debug!("catalogue reloaded while it was being prepared; kept the reloaded one");
    }
}

async fn watch_staleness(service: Arc<Service>, config: Config, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(STALENESS_CHECK_EVERY) => {}
        }
        report_staleness(&service.catalog(), service.clock().now(), &config);
    }
}

fn report_staleness(catalog: &Catalog, now: DateTime<Utc>, config: &Config) {
    let stale = catalog.stale(now, config.stale_after);
    if let Some(oldest) = stale.first() {
        let days = (now - oldest.epoch).num_seconds() as f64 / 86_400.0;
        tracing::warn!(
            "{} of {} element sets are older than {:.1} days (oldest: {} at {:.1} days); SGP4 error grows with age, \
             so positions may be off by many kilometres -- serve fresh elements with --celestrak GROUP \
             (e.g. --celestrak stations), --catalog-url URL or --catalog FILE (see \"Fresh elements\" in the README)",
            stale.len(),
            catalog.objects().len(),
            config.stale_after.num_seconds() as f64 / 86_400.0,
            oldest.name,
            days
        );
    }
}

/// `--check`: one line per object with its names, element age and position now.
fn print_catalog(catalog: &Catalog, config: &Config) {
    let now = config.clock.now();
    println!("zone {} at {}", config.zone.apex, now.to_rfc3339());
    println!(
        "{:>6}  {:<24} {:>8}  {:<40} position",
        "NORAD", "name", "age (d)", "labels"
    );
    for object in catalog.objects() {
        let mut labels: Vec<&str> = catalog
            .labels()
            .filter(|(_, id)| *id == object.norad_id)
            .map(|(label, _)| label)
            .collect();
        labels.sort_unstable();
        let age = (now - object.epoch).num_seconds() as f64 / 86_400.0;
        let at = match locate(object, &config.zone.precision, now) {
            Ok(Located { loc: Ok(loc), .. }) => loc.to_string(),
            Ok(Located {
                loc: Err(reason), ..
            }) => format!("no LOC: {reason}"),
            Err(reason) => format!("no LOC: {reason}"),
        };
        println!(
            "{:>6}  {:<24} {:>8.2}  {:<40} {at}",
            object.norad_id,
            object.name,
            age,
            labels.join(",")
        );
    }
}
