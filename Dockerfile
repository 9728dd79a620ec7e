# syntax=docker/dockerfile:1
# Build stage: go-sqlite3 needs cgo, so the builder has gcc and the binary
# links against glibc; the runtime image is a small Debian with that glibc.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -trimpath -ldflags="-s -w" -o /out/alusta ./cmd/alusta

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/alusta --create-home alusta
COPY --from=build /out/alusta /usr/local/bin/alusta
COPY pipelines/*.yaml /etc/alusta/pipelines/
COPY mappings/*.yaml /etc/alusta/mappings/
USER alusta
WORKDIR /var/lib/alusta
ENV ALUSTA_PIPELINES_DIR=/etc/alusta/pipelines \
    ALUSTA_MAPPINGS_DIR=/etc/alusta/mappings \
    ALUSTA_STORE_PATH=/var/lib/alusta/alusta.db \
    ALUSTA_REPORTS_DIR=/var/lib/alusta/reports \
    ALUSTA_HTTP_ADDR=0.0.0.0:8080 \
    ALUSTA_PUBLIC_ADDR=0.0.0.0:8081 \
    ALUSTA_NOTIFY_OUTBOX_DIR=/var/lib/alusta/outbox \
    GOMEMLIMIT=256MiB
# GOMEMLIMIT: a soft limit for Go's collector, which otherwise lets the heap
# grow to twice what is live; see the README's bench-first-sync paragraph.
# 8080: operations (health, metrics), never published beyond the cluster;
# 8081: the public listener, behind the reverse proxy at public.base_url.
EXPOSE 8080 8081
VOLUME ["/var/lib/alusta"]
# The slim image has no curl: alusta asks its own /healthz.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
  CMD ["/usr/local/bin/alusta", "health"]
ENTRYPOINT ["/usr/local/bin/alusta"]
CMD ["run"]
