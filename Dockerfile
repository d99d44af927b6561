# imwallet: one image, any number of stateless processes behind a load balancer.
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /srv/imwallet

COPY pyproject.toml README.md ./
COPY app ./app
COPY models ./models
COPY schema ./schema
COPY subscriptions ./subscriptions
COPY server ./server
RUN pip install . && useradd --system --uid 10001 imwallet
USER imwallet

ENV IMWALLET_ENV=production
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s CMD python -c "import urllib.request,sys; \
sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz').status == 200 else 1)"
# Migrations run once per deploy (`imwallet migrate`); serve applies any still pending first.
CMD ["imwallet", "serve", "--host", "0.0.0.0", "--port", "8000"]
