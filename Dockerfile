# chainkms container image: every chainkms binary on Debian bookworm (the packages CI builds against).
# Build it with scripts/container (it provides a local debian:bookworm base when no registry is
# reachable); docs/container.md describes the image.
#
# Stage 1 (build): the build dependencies of scripts/setup minus the test/lint/dev tools.
FROM debian:bookworm AS build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config \
      libgrpc++-dev libgrpc-dev protobuf-compiler-grpc protobuf-compiler libprotobuf-dev \
      libabsl-dev libssl-dev libsecp256k1-dev prometheus-cpp-dev libcivetweb-dev \
      libcurl4-openssl-dev nlohmann-json3-dev libsqlite3-dev libpq-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Release, hardened (CHAINKMS_HARDEN defaults ON), no tests or benchmarks: only the 7 binaries.
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCHAINKMS_BUILD_TESTS=OFF -DCHAINKMS_BUILD_BENCH=OFF \
    && cmake --build /build -j"$(nproc)" --target \
      chainkms chainkms-eth chainkms-cvm \
      chainkms-registry chainkms-kms chainkms-provisioning chainkms-gateway \
    && for b in cli/chainkms cli/chainkms-eth cli/chainkms-cvm \
                services/registry/chainkms-registry services/kms/chainkms-kms \
                services/provisioning/chainkms-provisioning services/gateway/chainkms-gateway; do \
         install -D -m 0755 -s "/build/$b" "/out/bin/$(basename "$b")" || exit 1; \
       done

# Stage 2 (runtime): only the shared libraries the binaries need (checked with ldd/readelf on the
# release build), CA certificates, a non-root user. No compilers, no package caches; nothing is
# written at runtime, so it runs with a read-only root filesystem (the chart's default).
FROM debian:bookworm-slim
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends \
      ca-certificates \
      libabsl20220623 libssl3 libsecp256k1-1 libcurl4 \
      libgrpc++1.51 libgrpc29 libprotobuf32 \
      libprometheus-cpp-core1.0 libprometheus-cpp-pull1.0 \
      libcivetweb1 libpq5 libsqlite3-0 \
    && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log \
    && groupadd --system --gid 10001 chainkms \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
         --shell /usr/sbin/nologin chainkms
COPY --from=build /out/bin/ /usr/local/bin/
USER 10001:10001
WORKDIR /
# One image, one binary per Deployment: the chart sets the command (/usr/local/bin/chainkms-<svc>).
# No ENTRYPOINT, so `docker run chainkms:dev chainkms-registry ...` (or any command) runs as given;
# the default only prints the CLI's usage. The chart's ports: gRPC 50050-50053, gateway HTTP 8080,
# metrics 9460-9466 (/tmp is the only writable path the chart mounts).
EXPOSE 50050 50051 50052 50053 8080 9460 9464 9465 9466
CMD ["/usr/local/bin/chainkms", "--help"]
