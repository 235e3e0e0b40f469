# Production image: one static binary; the command picks api, worker or serve.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/artisanbridge ./cmd/artisanbridge

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/artisanbridge /artisanbridge
ENV ARTISANBRIDGE_DATA_DIR=/data ARTISANBRIDGE_ADDR=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["/artisanbridge"]
CMD ["serve"]
