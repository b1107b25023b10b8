//! The `/metrics` text: a snapshot of every counter, encoded by the Prometheus
//! project's `prometheus-client` crate through a collector at scrape time.
//!
//! The crate's own counters and histograms are not used on the query path (its
//! histogram takes a lock per observation); [`super::queries`] keeps its own
//! atomic arrays and this module only reads them. The crate writes OpenMetrics
//! 1.0 text, which Prometheus asks for first; a scraper that does not ask for
//! it (curl, older tools) gets the Prometheus text format 0.0.4, rewritten
//! from it ([`Format`]). Names follow CoreDNS's (`coredns_dns_requests_total`
//! becomes `satloc_dns_requests_total`). Label sets that have seen nothing are
//! left out, as CoreDNS leaves them out.

use chrono::{DateTime, Utc};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::{Registry, Unit};

use super::classify::{RCODE_LABELS, TYPE_LABELS, rcode_label, type_label};
use super::queries::{
    DURATION_BOUNDS_S, FAMILIES, HistogramSnapshot, PROTOCOLS, QuerySnapshot, SIZE_BOUNDS,
};
use crate::catalog::Catalog;
use crate::fetch::stats::{RefreshOutcome, RefreshStats};
use crate::rrl::ResponseClass;

/// The text formats `/metrics` speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// OpenMetrics 1.0, for scrapers that ask for it (Prometheus does).
    OpenMetrics,
    /// The Prometheus text exposition format 0.0.4, for everyone else.
    Prometheus,
}

impl Format {
    /// The format for a request's `Accept` header: OpenMetrics when it is
    /// named, else 0.0.4 (as Prometheus's own Go client negotiates).
    pub fn for_accept(accept: Option<&str>) -> Format {
        match accept {
            Some(accept) if accept.contains("application/openmetrics-text") => Format::OpenMetrics,
            _ => Format::Prometheus,
        }
    }

    /// The `Content-Type` of text in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
            Format::Prometheus => "text/plain; version=0.0.4; charset=utf-8",
        }
    }
}

/// Everything one scrape reports, read once at the start of the scrape.
#[derive(Debug, Default)]
pub struct Scrape {
    /// The query counters; `None` before the service exists.
    pub queries: Option<QuerySnapshot>,
    /// The catalogue in service; `None` before one is loaded.
    pub catalog: Option<CatalogGauges>,
    /// Refresh attempts by outcome, in [`RefreshOutcome::ALL`] order.
    pub refresh_attempts: Vec<(RefreshOutcome, u64)>,
    /// Unix time of the last refresh that brought a catalogue into service.
    pub last_refresh_success: Option<DateTime<Utc>>,
    /// The TCP connection counters.
    pub tcp: Option<TcpConnections>,
}

/// What the TCP transport says about its connections at an instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpConnections {
    /// Connections being served now.
    pub open: u64,
    /// Idle connections closed so far to make room for new ones.
    pub evicted: u64,
    /// New connections so far that waited for a slot with every one busy.
    pub queued: u64,
    /// Connections closed so far for sending a message, or taking responses,
    /// too slowly.
    pub slow: u64,
}

/// What the catalogue in service says about itself at an instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CatalogGauges {
    /// Objects served.
    pub objects: usize,
    /// Age of the newest element set, in seconds.
    pub newest_age_s: f64,
    /// Age of the oldest element set, in seconds.
    pub oldest_age_s: f64,
}

impl CatalogGauges {
    /// `catalog`'s size and element ages at `now`.
    pub fn of(catalog: &Catalog, now: DateTime<Utc>) -> Self {
        let age = |epoch: DateTime<Utc>| (now - epoch).num_milliseconds() as f64 / 1000.0;
        let epochs = catalog.objects().iter().map(|object| object.epoch);
        let (newest, oldest) = (epochs.clone().max(), epochs.min());
        CatalogGauges {
            objects: catalog.objects().len(),
            newest_age_s: newest.map_or(0.0, age),
            oldest_age_s: oldest.map_or(0.0, age),
        }
    }
}

impl Scrape {
    /// Refresh counters as `stats` holds them now.
    pub fn with_refresh(mut self, stats: &RefreshStats) -> Self {
        self.refresh_attempts = RefreshOutcome::ALL
            .iter()
            .map(|&outcome| (outcome, stats.attempts(outcome)))
            .collect();
        self.last_refresh_success = stats.last_success();
        self
    }
}

/// The scrape as text in `format`.
pub fn encode(scrape: Scrape, format: Format) -> Result<String, std::fmt::Error> {
    let mut registry = Registry::with_prefix("satloc");
    registry.register_collector(Box::new(scrape));
    let mut text = String::with_capacity(16 * 1024);
    prometheus_client::encoding::text::encode(&mut text, &registry)?;
    Ok(match format {
        Format::OpenMetrics => text,
        Format::Prometheus => to_prometheus_text(&text),
    })
}

/// OpenMetrics text as the 0.0.4 format says it: a counter's family is named
/// with its `_total` (as its samples are), an info is a gauge named `_info`,
/// and there are no `# UNIT` or `# EOF` lines. Samples are the same in both.
fn to_prometheus_text(openmetrics: &str) -> String {
    // A dozen families: a list is enough.
    let kinds: Vec<(&str, &str)> = openmetrics
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE ")?.split_once(' '))
        .collect();
    let kind_of = |name: &str| kinds.iter().find(|(n, _)| *n == name).map(|(_, k)| *k);
    let mut text = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line.starts_with("# UNIT ") || line == "# EOF" {
            continue;
        }
        let descriptor = ["# HELP ", "# TYPE "]
            .into_iter()
            .find_map(|tag| Some((tag, line.strip_prefix(tag)?.split_once(' ')?)));
        match descriptor {
            Some((tag, (name, rest))) => {
                let (suffix, rest) = match (kind_of(name), tag) {
                    (Some("counter"), _) => ("_total", rest),
                    (Some("info"), "# TYPE ") => ("_info", "gauge"),
                    (Some("info"), _) => ("_info", rest),
                    _ => ("", rest),
                };
                text.push_str(&format!("{tag}{name}{suffix} {rest}\n"));
            }
            None => {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    text
}

impl Collector for Scrape {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        encode_build_info(&mut encoder)?;
        if let Some(queries) = &self.queries {
            encode_queries(queries, &mut encoder)?;
        }
        if let Some(catalog) = &self.catalog {
            encode_catalog(catalog, &mut encoder)?;
        }
        self.encode_refresh(&mut encoder)?;
        if let Some(tcp) = &self.tcp {
            encode_tcp(tcp, &mut encoder)?;
        }
        Ok(())
    }
}

fn encode_tcp(
    tcp: &TcpConnections,
    encoder: &mut DescriptorEncoder,
) -> Result<(), std::fmt::Error> {
    encoder
        .encode_descriptor(
            "tcp_connections_open",
            "TCP connections being served.",
            None,
            MetricType::Gauge,
        )?
        .encode_gauge(&tcp.open)?;
    for (name, help, count) in [
        (
            "tcp_connections_evicted",
            "Idle TCP connections closed, oldest first, to admit new ones at --max-tcp-connections.",
            tcp.evicted,
        ),
        (
            "tcp_connections_queued",
            "New TCP connections that waited for a slot because every connection was busy.",
            tcp.queued,
        ),
        (
            "tcp_connections_slow",
            "TCP connections closed for taking longer than --tcp-idle-timeout to send a message or take responses.",
            tcp.slow,
        ),
    ] {
        encoder
            .encode_descriptor(name, help, None, MetricType::Counter)?
            .encode_counter::<NoLabelSet, _, u64>(&count, None)?;
    }
    Ok(())
}

impl Scrape {
    fn encode_refresh(&self, encoder: &mut DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let mut attempts = encoder.encode_descriptor(
            "catalog_refresh_attempts",
            "Catalogue refresh attempts (fetches and reloads), by outcome.",
            None,
            MetricType::Counter,
        )?;
        for (outcome, count) in &self.refresh_attempts {
            attempts
                .encode_family(&[("outcome", outcome.as_str())])?
                .encode_counter::<NoLabelSet, _, u64>(count, None)?;
        }
        if let Some(at) = self.last_refresh_success {
            encoder
                .encode_descriptor(
                    "catalog_refresh_last_success_timestamp",
                    "When a refresh last brought a catalogue into service (Unix time).",
                    Some(&Unit::Seconds),
                    MetricType::Gauge,
                )?
                .encode_gauge(&at.timestamp())?;
        }
        Ok(())
    }
}

fn encode_build_info(encoder: &mut DescriptorEncoder) -> Result<(), std::fmt::Error> {
    encoder
        .encode_descriptor(
            "build",
            "The running satloc-server's version.",
            None,
            MetricType::Info,
        )?
        .encode_info(&[("version", env!("CARGO_PKG_VERSION"))])
}

fn encode_queries(
    queries: &QuerySnapshot,
    encoder: &mut DescriptorEncoder,
) -> Result<(), std::fmt::Error> {
    let mut requests = encoder.encode_descriptor(
        "dns_requests",
        "DNS requests received, by transport protocol, address family (1 IPv4, 2 IPv6) and query type.",
        None,
        MetricType::Counter,
    )?;
    for (p, proto) in PROTOCOLS.iter().enumerate() {
        for (f, family) in FAMILIES.iter().enumerate() {
            for kind in 0..TYPE_LABELS {
                let count = queries.requests(p, f, kind);
                if count > 0 {
                    let labels = [
                        ("proto", *proto),
                        ("family", family),
                        ("type", type_label(kind)),
                    ];
                    requests
                        .encode_family(&labels)?
                        .encode_counter::<NoLabelSet, _, u64>(&count, None)?;
                }
            }
        }
    }
    let mut responses = encoder.encode_descriptor(
        "dns_responses",
        "DNS responses sent, by response code.",
        None,
        MetricType::Counter,
    )?;
    for (code, count) in queries.responses.iter().enumerate().take(RCODE_LABELS) {
        if *count > 0 {
            responses
                .encode_family(&[("rcode", rcode_label(code))])?
                .encode_counter::<NoLabelSet, _, u64>(count, None)?;
        }
    }
    encode_rate_limited(queries, encoder)?;
    encode_histograms(queries, encoder)
}

/// The rate limiter's counters, once it has limited anything.
fn encode_rate_limited(
    queries: &QuerySnapshot,
    encoder: &mut DescriptorEncoder,
) -> Result<(), std::fmt::Error> {
    if queries.rrl_limited.iter().all(|&count| count == 0) {
        return Ok(());
    }
    let mut limited = encoder.encode_descriptor(
        "rrl_limited",
        "UDP responses over --rrl-rate, by response class (each one slipped or dropped).",
        None,
        MetricType::Counter,
    )?;
    for (class, count) in ResponseClass::ALL.iter().zip(&queries.rrl_limited) {
        if *count > 0 {
            limited
                .encode_family(&[("class", class.as_str())])?
                .encode_counter::<NoLabelSet, _, u64>(count, None)?;
        }
    }
    for (name, help, count) in [
        (
            "rrl_slipped",
            "Limited responses sent as an empty TC=1 reply (every --rrl-slip-th).",
            queries.rrl_slipped(),
        ),
        (
            "rrl_dropped",
            "Limited responses not sent at all.",
            queries.rrl_dropped(),
        ),
    ] {
        encoder
            .encode_descriptor(name, help, None, MetricType::Counter)?
            .encode_counter::<NoLabelSet, _, u64>(&count, None)?;
    }
    Ok(())
}

fn encode_histograms(
    queries: &QuerySnapshot,
    encoder: &mut DescriptorEncoder,
) -> Result<(), std::fmt::Error> {
    let mut duration = encoder.encode_descriptor(
        "dns_request_duration",
        "Time from a query reaching the service to its response written, by query type.",
        Some(&Unit::Seconds),
        MetricType::Histogram,
    )?;
    for kind in 0..TYPE_LABELS {
        let histogram = queries.duration(kind);
        if histogram.count() > 0 {
            let labels = [("type", type_label(kind))];
            let mut family = duration.encode_family(&labels)?;
            encode_histogram(&mut family, &histogram, &DURATION_BOUNDS_S)?;
        }
    }
    encode_size_histograms(
        encoder,
        "dns_request_size",
        "Size of DNS requests, by transport protocol.",
        |p| queries.request_size(p),
    )?;
    encode_size_histograms(
        encoder,
        "dns_response_size",
        "Size of DNS responses, by transport protocol.",
        |p| queries.response_size(p),
    )
}

/// A size histogram in bytes, one series per protocol that has seen traffic.
fn encode_size_histograms(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    histogram_of: impl Fn(usize) -> HistogramSnapshot,
) -> Result<(), std::fmt::Error> {
    let bounds = SIZE_BOUNDS.map(|bytes| bytes as f64);
    let mut metric =
        encoder.encode_descriptor(name, help, Some(&Unit::Bytes), MetricType::Histogram)?;
    for (p, proto) in PROTOCOLS.iter().enumerate() {
        let histogram = histogram_of(p);
        if histogram.count() > 0 {
            let labels = [("proto", *proto)];
            let mut family = metric.encode_family(&labels)?;
            encode_histogram(&mut family, &histogram, &bounds)?;
        }
    }
    Ok(())
}

fn encode_histogram(
    encoder: &mut MetricEncoder,
    histogram: &HistogramSnapshot,
    bounds: &[f64],
) -> Result<(), std::fmt::Error> {
    // The last bucket is +Inf, which the encoder writes for f64::MAX.
    let buckets: Vec<(f64, u64)> = bounds
        .iter()
        .copied()
        .chain(std::iter::once(f64::MAX))
        .zip(histogram.buckets.iter().copied())
        .collect();
    encoder.encode_histogram::<NoLabelSet>(histogram.sum, histogram.count(), &buckets, None)
}

fn encode_catalog(
    catalog: &CatalogGauges,
    encoder: &mut DescriptorEncoder,
) -> Result<(), std::fmt::Error> {
    encoder
        .encode_descriptor(
            "catalog_objects",
            "Objects in the catalogue being served.",
            None,
            MetricType::Gauge,
        )?
        .encode_gauge(&catalog.objects)?;
    encoder
        .encode_descriptor(
            "catalog_newest_element_age",
            "Age of the newest element set in the catalogue being served.",
            Some(&Unit::Seconds),
            MetricType::Gauge,
        )?
        .encode_gauge(&catalog.newest_age_s)?;
    encoder
        .encode_descriptor(
            "catalog_oldest_element_age",
            "Age of the oldest element set in the catalogue being served.",
            Some(&Unit::Seconds),
            MetricType::Gauge,
        )?
        .encode_gauge(&catalog.oldest_age_s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{NamingOptions, Source};
    use crate::engine::{Family, Protocol};
    use crate::loc::LOC;
    use crate::metrics::queries::QueryMetrics;
    use crate::metrics::ticks::Ticks;
    use crate::testing::TestQuery;

    fn lines(text: &str) -> Vec<&str> {
        text.lines().collect()
    }

    #[test]
    fn a_scrape_is_openmetrics_text_with_every_family() {
        let metrics = QueryMetrics::new(1, Ticks::monotonic());
        let query = TestQuery::new("iss.sat.example.", LOC).to_bytes();
        let mut response = query.clone();
        response[2] |= 0x80;
        metrics.record(
            metrics.start(),
            &query,
            Protocol::Udp,
            Family::V4,
            Some(&response),
        );
        let stats = RefreshStats::default();
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        stats.record(RefreshOutcome::Updated, at);
        stats.record(RefreshOutcome::Invalid, at);
        let scrape = Scrape {
            queries: Some(metrics.snapshot()),
            catalog: Some(CatalogGauges {
                objects: 7,
                newest_age_s: 60.5,
                oldest_age_s: 86_400.0,
            }),
            tcp: Some(TcpConnections::default()),
            ..Scrape::default()
        }
        .with_refresh(&stats);
        let text = encode(scrape, Format::OpenMetrics).unwrap();
        let lines = lines(&text);
        for expected in [
            "# TYPE satloc_dns_requests counter",
            r#"satloc_dns_requests_total{proto="udp",family="1",type="LOC"} 1"#,
            r#"satloc_dns_responses_total{rcode="NOERROR"} 1"#,
            "# TYPE satloc_dns_request_duration_seconds histogram",
            r#"satloc_dns_request_duration_seconds_count{type="LOC"} 1"#,
            r#"satloc_dns_request_duration_seconds_bucket{le="0.00025",type="LOC"} 1"#,
            r#"satloc_dns_request_duration_seconds_bucket{le="+Inf",type="LOC"} 1"#,
            r#"satloc_dns_request_size_bytes_bucket{le="100.0",proto="udp"} 1"#,
            r#"satloc_dns_response_size_bytes_count{proto="udp"} 1"#,
            "satloc_catalog_objects 7",
            "satloc_catalog_newest_element_age_seconds 60.5",
            "satloc_catalog_oldest_element_age_seconds 86400.0",
            r#"satloc_catalog_refresh_attempts_total{outcome="updated"} 1"#,
            r#"satloc_catalog_refresh_attempts_total{outcome="invalid"} 1"#,
            r#"satloc_catalog_refresh_attempts_total{outcome="rejected"} 0"#,
            "satloc_catalog_refresh_last_success_timestamp_seconds 1800000000",
            "satloc_tcp_connections_open 0",
            r#"satloc_build_info{version="0.1.0"} 1"#,
        ] {
            assert!(lines.contains(&expected), "no {expected:?} in:\n{text}");
        }
        assert!(
            !text.contains("tcp\",family"),
            "no TCP requests were counted:\n{text}"
        );
        assert!(
            !text.contains("NXDOMAIN"),
            "codes never sent are left out:\n{text}"
        );
        assert_eq!(lines.last(), Some(&"# EOF"));
    }

    #[test]
    fn tcp_connections_are_a_gauge_and_three_counters() {
        let scrape = Scrape {
            tcp: Some(TcpConnections {
                open: 2,
                evicted: 1,
                queued: 3,
                slow: 4,
            }),
            ..Scrape::default()
        };
        let text = encode(scrape, Format::OpenMetrics).unwrap();
        let lines = lines(&text);
        for expected in [
            "# TYPE satloc_tcp_connections_open gauge",
            "satloc_tcp_connections_open 2",
            "# TYPE satloc_tcp_connections_evicted counter",
            "satloc_tcp_connections_evicted_total 1",
            "satloc_tcp_connections_queued_total 3",
            "satloc_tcp_connections_slow_total 4",
        ] {
            assert!(lines.contains(&expected), "no {expected:?} in:\n{text}");
        }
    }

    #[test]
    fn before_anything_is_loaded_only_what_exists_is_reported() {
        let text = encode(
            Scrape::default().with_refresh(&RefreshStats::default()),
            Format::OpenMetrics,
        )
        .unwrap();
        assert!(text.contains("satloc_build_info"), "{text}");
        assert!(!text.contains("satloc_dns_"), "{text}");
        assert!(!text.contains("satloc_catalog_objects"), "{text}");
        assert!(!text.contains("last_success"), "never succeeded: {text}");
    }

    #[test]
    fn without_openmetrics_asked_for_the_text_is_prometheus_0_0_4() {
        assert_eq!(Format::for_accept(None), Format::Prometheus);
        assert_eq!(Format::for_accept(Some("*/*")), Format::Prometheus);
        let prometheus =
            "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3";
        assert_eq!(Format::for_accept(Some(prometheus)), Format::OpenMetrics);
        let stats = RefreshStats::default();
        let scrape = || {
            Scrape {
                tcp: Some(TcpConnections {
                    open: 1,
                    ..TcpConnections::default()
                }),
                ..Scrape::default()
            }
            .with_refresh(&stats)
        };
        let openmetrics = encode(scrape(), Format::OpenMetrics).unwrap();
        let text = encode(scrape(), Format::Prometheus).unwrap();
        assert_eq!(
            text,
            "# HELP satloc_build_info The running satloc-server's version.\n\
             # TYPE satloc_build_info gauge\n\
             satloc_build_info{version=\"0.1.0\"} 1\n\
             # HELP satloc_catalog_refresh_attempts_total Catalogue refresh attempts (fetches and reloads), by outcome.\n\
             # TYPE satloc_catalog_refresh_attempts_total counter\n\
             satloc_catalog_refresh_attempts_total{outcome=\"updated\"} 0\n\
             satloc_catalog_refresh_attempts_total{outcome=\"not_modified\"} 0\n\
             satloc_catalog_refresh_attempts_total{outcome=\"http_status\"} 0\n\
             satloc_catalog_refresh_attempts_total{outcome=\"unreachable\"} 0\n\
             satloc_catalog_refresh_attempts_total{outcome=\"invalid\"} 0\n\
             satloc_catalog_refresh_attempts_total{outcome=\"rejected\"} 0\n\
             # HELP satloc_tcp_connections_open TCP connections being served.\n\
             # TYPE satloc_tcp_connections_open gauge\n\
             satloc_tcp_connections_open 1\n\
             # HELP satloc_tcp_connections_evicted_total Idle TCP connections closed, oldest first, to admit new ones at --max-tcp-connections.\n\
             # TYPE satloc_tcp_connections_evicted_total counter\n\
             satloc_tcp_connections_evicted_total 0\n\
             # HELP satloc_tcp_connections_queued_total New TCP connections that waited for a slot because every connection was busy.\n\
             # TYPE satloc_tcp_connections_queued_total counter\n\
             satloc_tcp_connections_queued_total 0\n\
             # HELP satloc_tcp_connections_slow_total TCP connections closed for taking longer than --tcp-idle-timeout to send a message or take responses.\n\
             # TYPE satloc_tcp_connections_slow_total counter\n\
             satloc_tcp_connections_slow_total 0\n",
            "from:\n{openmetrics}"
        );
        let samples = |text: &str| -> Vec<String> {
            text.lines()
                .filter(|l| !l.starts_with('#'))
                .map(str::to_owned)
                .collect()
        };
        assert_eq!(samples(&text), samples(&openmetrics), "the same samples");
    }

    #[test]
    fn histograms_keep_their_names_and_lose_their_unit_lines() {
        let metrics = QueryMetrics::new(1, Ticks::monotonic());
        let query = TestQuery::new("iss.sat.example.", LOC).to_bytes();
        metrics.record(metrics.start(), &query, Protocol::Tcp, Family::V6, None);
        let scrape = Scrape {
            queries: Some(metrics.snapshot()),
            ..Scrape::default()
        };
        let text = encode(scrape, Format::Prometheus).unwrap();
        let lines = lines(&text);
        for expected in [
            "# TYPE satloc_dns_requests_total counter",
            r#"satloc_dns_requests_total{proto="tcp",family="2",type="LOC"} 1"#,
            "# TYPE satloc_dns_request_duration_seconds histogram",
            r#"satloc_dns_request_duration_seconds_count{type="LOC"} 1"#,
            "# TYPE satloc_dns_request_size_bytes histogram",
        ] {
            assert!(lines.contains(&expected), "no {expected:?} in:\n{text}");
        }
        assert!(
            !text.contains("# UNIT") && !text.contains("# EOF"),
            "{text}"
        );
    }

    #[test]
    fn element_ages_are_measured_from_now() {
        let catalog = Catalog::load(&[Source::Embedded], &NamingOptions::default())
            .unwrap()
            .catalog;
        let newest = catalog.objects().iter().map(|o| o.epoch).max().unwrap();
        let oldest = catalog.objects().iter().map(|o| o.epoch).min().unwrap();
        let now = newest + chrono::TimeDelta::hours(1);
        let gauges = CatalogGauges::of(&catalog, now);
        assert_eq!(gauges.objects, catalog.objects().len());
        assert_eq!(gauges.newest_age_s, 3600.0);
        let oldest_age = (now - oldest).num_milliseconds() as f64 / 1000.0;
        assert_eq!(gauges.oldest_age_s, oldest_age);
        assert!(gauges.oldest_age_s > gauges.newest_age_s);
    }
}
