# syntax=docker/dockerfile:1
# Untested on the development machines (no Docker engine there); kept deliberately simple.

FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
COPY pyproject.toml README.md ./
COPY src ./src
# Production needs real MongoDB and Redis: the embedded extra is not installed.
RUN pip install .

FROM python:3.11-slim AS runtime
RUN useradd --system --uid 10001 --home /app mychangsha
COPY --from=build /opt/venv /opt/venv
# The operations the app ships: the only documents production runs (TRUSTED_DOCUMENTS_ONLY).
COPY clients/operations /app/clients/operations
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    ENVIRONMENT=production \
    TRUSTED_DOCUMENTS_DIR=/app/clients/operations \
    HOST=0.0.0.0 \
    PORT=8000
WORKDIR /app
USER mychangsha
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"
CMD ["mychangsha", "serve"]
