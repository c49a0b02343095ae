# The recipe users copy from blog posts, for the image-size comparison in build/bench.sh: the base, apt tools and
# Node.js, `npm install -g` of the agent, a user. The CA line is what any build behind a TLS-intercepting proxy needs.
ARG BASE
FROM ${BASE}
ARG AGENT_PACKAGE
COPY ca.crt /usr/local/share/ca-certificates/proxy.crt
ENV NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates/proxy.crt
RUN apt-get update && apt-get install -y ca-certificates curl git ripgrep nodejs npm && update-ca-certificates
RUN npm install -g ${AGENT_PACKAGE}
RUN useradd -m agent
USER agent
WORKDIR /workspace
