# A local stand-in for mcr.microsoft.com/dotnet/sdk (no registry is reachable here): the debootstrap base plus the
# host's own dotnet folder as build context, with the libraries the SDK image has. Built by .ci/run.
ARG BASE
FROM ${BASE}
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        ca-certificates libicu72 libssl3 zlib1g libgcc-s1 libstdc++6 tzdata \
    && rm -rf /var/lib/apt/lists/*
COPY . /usr/share/dotnet/
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet && dotnet --version
ENV DOTNET_ROOT=/usr/share/dotnet DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
