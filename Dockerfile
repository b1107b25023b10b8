# satloc-server and satloc-loadgen in one small image (docs/deploy.md).
#
#   docker build -t satloc:dev .
#   docker run --rm -p 5353:5353/udp -p 5353:5353/tcp -p 9153:9153 \
#       -v satloc-state:/var/lib/satloc satloc:dev --celestrak stations
#   dig @127.0.0.1 -p 5353 iss.sat.example LOC
#
# The entry point is satloc-server listening on 0.0.0.0:5353 (DNS, UDP and
# TCP; an unprivileged port, so the server needs no capability: a Service
# maps 53 to it), with /metrics, /health and /ready on 0.0.0.0:9153, keeping
# the last good catalogue of every URL in the volume /var/lib/satloc. Any
# argument is appended: the catalogue source (`--celestrak GROUP`,
# `--catalog-url URL`; without one the snapshot built into the binary is
# served), `--zone`, `--threads`... The load generator is in the same image:
# `docker run --entrypoint satloc-loadgen satloc:dev --help`.

# The builder: the toolchain the workspace is tested with.
ARG RUST_VERSION=1.95
FROM rust:${RUST_VERSION}-slim-bookworm AS builder
WORKDIR /src
COPY . .
# --locked: the image builds exactly the dependencies CI tested. The binaries
# are copied out of target/ in the same step so the layer holds only them,
# and stripped: the release profile keeps debug info for the profilers, which
# an image has no use for (it is most of their size).
RUN cargo build --release --locked -p satloc-server -p satloc-loadgen \
    && mkdir /out \
    && cp target/release/satloc-server target/release/satloc-loadgen /out/ \
    && strip /out/satloc-server /out/satloc-loadgen \
    && rm -rf target

# The runtime: glibc and a shell (the load Job's wrapper uses sh), no
# compiler. TLS needs no system certificates: the fetcher uses rustls with
# compiled-in roots.
FROM debian:bookworm-slim
RUN groupadd --system --gid 10001 satloc \
    && useradd --system --uid 10001 --gid satloc --home-dir /var/lib/satloc \
        --shell /usr/sbin/nologin satloc \
    && mkdir -p /var/lib/satloc \
    && chown satloc:satloc /var/lib/satloc
COPY --from=builder /out/satloc-server /out/satloc-loadgen /usr/local/bin/
USER 10001:10001
VOLUME ["/var/lib/satloc"]
EXPOSE 5353/udp 5353/tcp 9153/tcp
ENTRYPOINT ["satloc-server", "--listen", "0.0.0.0:5353", "--metrics-listen", "0.0.0.0:9153", "--state-dir", "/var/lib/satloc"]
