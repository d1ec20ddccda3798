# Multi-stage build of the chainkms binaries on Debian bookworm (the packages CI builds against).
FROM debian:bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config \
      libgrpc++-dev protobuf-compiler-grpc protobuf-compiler libprotobuf-dev libabsl-dev \
      libssl-dev libsecp256k1-dev prometheus-cpp-dev libcurl4-openssl-dev nlohmann-json3-dev \
      libsqlite3-dev libpq-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCHAINKMS_BUILD_TESTS=OFF -DCHAINKMS_BUILD_BENCH=OFF \
    && cmake --build /build --target chainkms-eth chainkms-registry \
    && install -D /build/cli/chainkms-eth /out/bin/chainkms-eth \
    && install -D /build/services/registry/chainkms-registry /out/bin/chainkms-registry

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      libssl3 libsecp256k1-1 libabsl20220623 libcurl4 ca-certificates \
      libgrpc++1.51 libgrpc29 libprotobuf32 libprometheus-cpp-core1.0 libprometheus-cpp-pull1.0 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home chainkms
COPY --from=build /out/bin/ /usr/local/bin/
USER 10001
# One image, one binary per Deployment: the chart sets the command (chainkms-registry, ...).
EXPOSE 50051 9464
ENTRYPOINT ["/usr/local/bin/chainkms-registry"]
