# imwallet: one image, any number of stateless processes behind a load balancer.
# Build: docker build -t imwallet .   Migrate (once per deploy): docker run --rm --env-file prod.env imwallet imwallet migrate
# Serve: docker run --env-file prod.env -p 8000:8000 imwallet          (see docs/deploy.md)

# Pinned: bump the patch tag deliberately (and pin the digest your registry resolves it to).
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# Every dependency ships a manylinux wheel, so the build stage needs no compiler.
RUN python -m venv /opt/imwallet
COPY pyproject.toml README.md ./
COPY app ./app
COPY models ./models
COPY schema ./schema
COPY subscriptions ./subscriptions
COPY server ./server
RUN /opt/imwallet/bin/pip install --no-cache-dir .

FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/imwallet/bin:$PATH \
    IMWALLET_ENV=production
RUN useradd --system --no-log-init --uid 10001 --home-dir /srv/imwallet --create-home imwallet
COPY --from=build /opt/imwallet /opt/imwallet
WORKDIR /srv/imwallet
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2).status == 200 else 1)"]
# `imwallet serve` applies any migration still pending first (a no-op after `imwallet migrate`).
CMD ["imwallet", "serve", "--host", "0.0.0.0", "--port", "8000"]
