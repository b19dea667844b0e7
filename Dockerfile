# syntax=docker/dockerfile:1
#
# The talead image: `docker build -t talea/talead:dev .` needs nothing on the host but a container
# engine. Stage `build` compiles talead.jar with the Maven wrapper; the final stage is a JRE, the
# jar, and a non-root user. docs/howto-run-in-containers.md shows how to run it; ContainerFilesTest
# reads this file and checks what the comments below promise.

# ---- build --------------------------------------------------------------------------------------
FROM eclipse-temurin:17.0.13_11-jdk-jammy AS build
WORKDIR /src

COPY mvnw pom.xml ./
COPY .mvn/ .mvn/
# ledger-http serves docs/openapi.yaml at GET /v1/openapi.yaml, from its resources.
COPY docs/openapi.yaml docs/
# The parent pom lists every module, and Maven reads each module's pom even with -pl.
COPY ledger-bench/pom.xml ledger-bench/
COPY ledger-torture/pom.xml ledger-torture/
# ledger-http and every module it depends on (-am), test scope included: -DskipTests still
# compiles the tests, and ledger-http's tests need the client, the testkit and two test-jars.
COPY ledger-testkit/ ledger-testkit/
COPY ledger-protocol/ ledger-protocol/
COPY ledger-stores/ ledger-stores/
COPY ledger-actors/ ledger-actors/
COPY ledger-client/ ledger-client/
COPY ledger-http/ ledger-http/

# The local Maven repository (and the Maven the wrapper downloads) live in a build cache, not in
# a layer, so a rebuild after a source change downloads nothing.
RUN --mount=type=cache,target=/root/.m2 \
    ./mvnw -B -q package -DskipTests -DskipITs -pl ledger-http -am

# ---- runtime ------------------------------------------------------------------------------------
FROM eclipse-temurin:17.0.13_11-jre-jammy

# A fixed uid and gid, so that a volume's owner is the same on every host and every rebuild.
RUN groupadd --system --gid 10001 talea \
    && useradd --system --uid 10001 --gid talea --home-dir /var/lib/talea \
        --shell /usr/sbin/nologin talea \
    && mkdir -p /var/lib/talea /opt/talea \
    && chown talea:talea /var/lib/talea \
    && chmod 0700 /var/lib/talea

# The working directory is where talead looks for ./.env and where the embedded stores' default
# URLs (sqlite:./talea.db, log:./talea-data) put their data. On Postgres it stays empty.
WORKDIR /var/lib/talea
VOLUME /var/lib/talea

COPY --from=build /src/ledger-http/target/talead.jar /opt/talea/talead.jar

# The JVM reads JAVA_TOOL_OPTIONS itself (java -jar does not read JAVA_OPTS); replace it with
# `docker run -e JAVA_TOOL_OPTIONS=...`.
#   -XX:MaxRAMPercentage=75      heap up to 75% of the container's memory limit (the JVM's default
#                                is 25%); the rest is metaspace, thread stacks, direct buffers
#   -XX:+ExitOnOutOfMemoryError  on an OutOfMemoryError exit at once, so that the engine restarts
#                                the container, rather than serve on with a broken actor system
#   -XX:+UseG1GC                 G1, the collector of the machines talead's benchmarks ran on; in a
#                                container under 2 CPUs or 1792 MB the JVM would pick the serial
#                                collector instead, and pause every request for each collection
# TALEA_BIND listens on every interface of the container; without it talead would listen on
# 127.0.0.1 only, out of reach of a published port.
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError -XX:+UseG1GC" \
    TALEA_BIND=0.0.0.0:8080

USER 10001:10001
EXPOSE 8080

# talead drains on SIGTERM (docs/howto-run.md, "Stopping"): give it TALEA_DRAIN_GRACE (5s) plus
# TALEA_SHUTDOWN_TIMEOUT (30s), e.g. `docker run --stop-timeout 40` or compose's stop_grace_period.
STOPSIGNAL SIGTERM

# GET /health over bash's /dev/tcp, on the port of TALEA_BIND: the check needs no curl or wget
# (the base image has them today only "for historical reasons", and may drop them). talead
# answers an HTTP/1.0 request without Host; the check passes on 200 only, so a draining instance
# (503) turns unhealthy.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${TALEA_BIND##*:} && printf 'GET /health HTTP/1.0\\r\\n\\r\\n' >&3 && read -r -t 2 _ status _ <&3 && [ \"$status\" = 200 ]"]

# Exec form: java is PID 1 and receives SIGTERM itself; no shell in between swallows it.
ENTRYPOINT ["java", "-jar", "/opt/talea/talead.jar"]
CMD ["serve"]
