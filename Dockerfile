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
    && cmake --build /build \
    && install -D /build/cli/chainkms-eth /out/bin/chainkms-eth

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      libssl3 libsecp256k1-1 libabsl20220623 libcurl4 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home chainkms
COPY --from=build /out/bin/ /usr/local/bin/
USER 10001
ENTRYPOINT ["/usr/local/bin/chainkms-eth"]
