# Production image: one static binary; the command picks api, worker or serve.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/artisanbridge ./cmd/artisanbridge
# The data folder (the embedded database and its lock file, a generated
# master key) must exist and belong to the user the image runs as: the
# runtime image has no shell to make it, and nonroot cannot write to /.
RUN mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/artisanbridge /artisanbridge
# 65532 is distroless's nonroot user, the USER of this base image.
# A named volume mounted here (docker run -v artisanbridge-data:/data) takes
# this folder's owner when it is first created.
COPY --from=build --chown=65532:65532 /out/data /data
ENV ARTISANBRIDGE_DATA_DIR=/data ARTISANBRIDGE_ADDR=0.0.0.0:8080
EXPOSE 8080
# SIGTERM drains HTTP requests for up to ARTISANBRIDGE_SHUTDOWN_TIMEOUT (15s),
# then gives running jobs 8s: give the container 30s (docker stop -t 30;
# docker-compose.yml sets stop_grace_period). The health check of a process
# is `artisanbridge health`; docker-compose.yml runs it per service.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/artisanbridge"]
CMD ["serve"]
