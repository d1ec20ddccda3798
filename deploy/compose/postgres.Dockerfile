# PostgreSQL 15 for the compose stack, from Debian's packages (no registry needed: the base is the
# local debian:bookworm-slim that scripts/container provides). The data directory is initialised
# on first start by postgres-start.sh; the password comes from POSTGRES_PASSWORD (never baked in).
FROM debian:bookworm-slim
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-15 \
    && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log
COPY postgres-start.sh /usr/local/bin/postgres-start.sh
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data/db
USER postgres
EXPOSE 5432
CMD ["/usr/local/bin/postgres-start.sh"]
