"""Rule catalogues of the demo history, modelled on real scanners.

Only facts are kept: rule ids, CWE numbers, severity words and scores, package names and
versions. Titles, messages and code snippets are short texts written for this project.
``weight`` is how often a rule fires relative to the others of its tool (a modelling choice).

Sources of the facts: CodeQL query metadata (``@id``, ``@security-severity``,
``@problem.severity``, ``@precision``, ``external/cwe`` tags); Semgrep registry rule ids and their
CWE metadata; Bandit test ids, names, default severity/confidence and CWE; Trivy advisories (CVE
id, package, fixed version, severity, CVSS score); gitleaks default rule ids; Checkov check ids.
"""

from __future__ import annotations

from dataclasses import dataclass

PYTHON, JAVASCRIPT, TERRAFORM, ANY = "python", "javascript", "terraform", "any"


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """One rule of one scanner.

    ``word`` is the tool's own severity word where it has one (Bandit ``issue_severity``, CodeQL
    ``problem.severity``, Semgrep/ Checkov level word); ``score`` the ``security-severity`` the tool
    writes, as text (None when the tool writes none). ``snippets`` are line templates in which
    ``{v}`` is replaced by a name.
    """

    rule_id: str
    name: str
    title: str
    cwes: tuple[int, ...]
    level: str
    word: str | None
    score: str | None
    confidence: str | None
    language: str
    snippets: tuple[str, ...]
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class Advisory:
    """A package vulnerability as Trivy reports it."""

    cve: str
    package: str
    installed: str
    fixed: str  # "" when no fix exists
    severity: str  # CRITICAL | HIGH | MEDIUM | LOW
    score: str  # CVSS base score as Trivy writes security-severity
    ecosystem: str  # pip | npm
    title: str
    weight: float = 1.0


def _r(
    rule_id: str,
    name: str,
    title: str,
    cwes: tuple[int, ...],
    level: str,
    word: str | None,
    score: str | None,
    confidence: str | None,
    language: str,
    snippets: tuple[str, ...],
    weight: float = 1.0,
) -> RuleSpec:
    return RuleSpec(rule_id, name, title, cwes, level, word, score, confidence, language, snippets, weight)


# fmt: off
# --- CodeQL (problem.severity word, security-severity score, precision) -------------------------

CODEQL: tuple[RuleSpec, ...] = (
    _r("py/sql-injection", "SqlInjection", "SQL query built from user input", (89,), "error", "error", "8.8",
       "high", PYTHON, ('cursor.execute("SELECT * FROM orders WHERE id = %s" % {v})',), 1.0),
    _r("py/path-injection", "PathInjection", "File path built from user input", (22, 23, 36, 73, 99), "error",
       "error", "7.5", "high", PYTHON, ("with open(os.path.join(UPLOAD_DIR, {v})) as fh:",), 1.4),
    _r("py/command-line-injection", "CommandLineInjection", "Shell command built from user input", (78, 88),
       "error", "error", "9.8", "high", PYTHON, ('os.system("convert " + {v})',), 0.6),
    _r("py/code-injection", "CodeInjection", "User input evaluated as code", (94, 95, 116), "error", "error",
       "9.3", "high", PYTHON, ("result = eval({v})",), 0.3),
    _r("py/reflective-xss", "ReflectedXss", "User input written to a web page", (79, 116), "error", "error",
       "6.1", "high", PYTHON, ('return make_response("<p>" + {v} + "</p>")',), 0.9),
    _r("py/full-ssrf", "FullServerSideRequestForgery", "Request URL fully controlled by the user", (918,),
       "error", "error", "9.1", "high", PYTHON, ("resp = requests.get({v})",), 0.4),
    _r("py/partial-ssrf", "PartialServerSideRequestForgery", "Request URL partly controlled by the user",
       (918,), "error", "error", "9.1", "medium", PYTHON, ('resp = requests.get(API + "/" + {v})',), 0.5),
    _r("py/unsafe-deserialization", "UnsafeDeserialization", "Untrusted data deserialized", (502,), "error",
       "error", "9.8", "high", PYTHON, ("obj = pickle.loads({v})",), 0.4),
    _r("py/clear-text-logging-sensitive-data", "CleartextLogging", "Sensitive data written to a log",
       (312, 359, 532), "error", "error", "7.5", "high", PYTHON, ('log.info("token=%s", {v})',), 1.2),
    _r("py/weak-sensitive-data-hashing", "WeakSensitiveDataHashing", "Weak hash used for sensitive data",
       (327, 328, 916), "warning", "warning", "7.5", "high", PYTHON, ("digest = hashlib.md5({v}).hexdigest()",),
       0.8),
    _r("py/flask-debug", "FlaskDebug", "Flask app run in debug mode", (215, 489), "error", "error", "7.5",
       "high", PYTHON, ("app.run(debug=True, port={v})",), 0.3),
    _r("py/stack-trace-exposure", "StackTraceExposure", "Stack trace returned to the client", (209, 497),
       "error", "error", "5.4", "high", PYTHON, ("return jsonify(error=traceback.format_exc()), {v}",), 0.9),
    _r("py/url-redirection", "UrlRedirect", "Redirect target taken from user input", (601,), "error", "error",
       "6.1", "high", PYTHON, ("return redirect({v})",), 0.7),
    _r("py/incomplete-url-substring-sanitization", "IncompleteUrlSubstringSanitization",
       "URL checked with a substring test", (20,), "warning", "warning", "7.8", "high", PYTHON,
       ('if "acme.example" in {v}:',), 0.6),
    _r("py/polynomial-redos", "PolynomialReDoS", "Regular expression with polynomial backtracking",
       (1333, 730, 400), "error", "error", "7.5", "high", PYTHON, ("match = PATTERN.match({v})",), 0.5),
    _r("js/sql-injection", "SqlInjection", "SQL query built from user input", (89, 90, 943), "error", "error",
       "8.8", "high", JAVASCRIPT, ("db.query(`SELECT * FROM carts WHERE id = ${{v}}`)",), 1.0),
    _r("js/xss", "Xss", "User input written to the DOM", (79, 116), "error", "error", "6.1", "high",
       JAVASCRIPT, ("el.innerHTML = {v};",), 1.0),
    _r("js/reflected-xss", "ReflectedXss", "User input written to an HTTP response", (79, 116), "error",
       "error", "6.1", "high", JAVASCRIPT, ('res.send("<h1>" + {v} + "</h1>");',), 1.0),
    _r("js/path-injection", "TaintedPath", "File path built from user input", (22, 23, 36, 73, 99), "error",
       "error", "7.5", "high", JAVASCRIPT, ("fs.readFile(path.join(root, {v}), cb);",), 1.2),
    _r("js/command-line-injection", "CommandInjection", "Shell command built from user input", (78, 88),
       "error", "error", "9.8", "high", JAVASCRIPT, ("exec(`git log ${{v}}`);",), 0.5),
    _r("js/code-injection", "CodeInjection", "User input evaluated as code", (94, 95, 79, 116), "error", "error",
       "9.3", "high", JAVASCRIPT, ("new Function({v})();",), 0.3),
    _r("js/prototype-pollution-utility", "PrototypePollutionUtility", "Merge function open to prototype pollution",
       (78, 79, 94, 400, 471, 915), "warning", "warning", "6.1", "high", JAVASCRIPT,
       ("target[key] = merge(target[key], {v}[key]);",), 0.6),
    _r("js/regex-injection", "RegExpInjection", "Regular expression built from user input", (730, 400), "error",
       "error", "7.5", "high", JAVASCRIPT, ("const re = new RegExp({v});",), 0.6),
    _r("js/insecure-randomness", "InsecureRandomness", "Insecure random value used for a secret", (338,),
       "warning", "warning", "7.8", "high", JAVASCRIPT, ("const token = Math.random().toString(36) + {v};",),
       0.7),
    _r("js/clear-text-logging", "CleartextLogging", "Sensitive data written to a log", (312, 359, 532), "error",
       "error", "7.5", "high", JAVASCRIPT, ("console.log('session', {v});",), 1.1),
    _r("js/missing-rate-limiting", "MissingRateLimiting", "Expensive route without rate limiting",
       (770, 307, 400), "warning", "warning", "7.5", "high", JAVASCRIPT, ("app.post('/login', {v});",), 1.3),
    _r("js/request-forgery", "RequestForgery", "Request URL controlled by the user", (918,), "error", "error",
       "9.1", "medium", JAVASCRIPT, ("await fetch({v});",), 0.5),
    _r("js/polynomial-redos", "PolynomialReDoS", "Regular expression with polynomial backtracking",
       (1333, 730, 400), "warning", "warning", "7.5", "high", JAVASCRIPT, ("if (/^(\\w+\\s?)*$/.test({v})) {",),
       0.6),
    _r("js/incomplete-sanitization", "IncompleteSanitization", "Only the first occurrence is replaced",
       (20, 80, 116), "warning", "warning", "7.8", "high", JAVASCRIPT, ("const safe = {v}.replace('<', '&lt;');",),
       0.8),
    _r("js/server-side-unvalidated-url-redirection", "ServerSideUrlRedirect", "Redirect target taken from user input",
       (601,), "warning", "warning", "6.1", "high", JAVASCRIPT, ("res.redirect({v});",), 0.7),
)

# --- Semgrep (registry rule ids; level from the rule's ERROR/WARNING/INFO) -----------------------

SEMGREP: tuple[RuleSpec, ...] = (
    _r("python.lang.security.audit.eval-detected.eval-detected", "eval-detected", "eval() on dynamic content",
       (95,), "warning", "WARNING", None, "LOW", PYTHON, ("value = eval({v})",), 0.5),
    _r("python.lang.security.audit.exec-detected.exec-detected", "exec-detected", "exec() on dynamic content",
       (95,), "warning", "WARNING", None, "LOW", PYTHON, ("exec({v}, namespace)",), 0.3),
    _r("python.lang.security.audit.subprocess-shell-true.subprocess-shell-true", "subprocess-shell-true",
       "subprocess call with shell=True", (78,), "error", "ERROR", None, "MEDIUM", PYTHON,
       ("subprocess.run({v}, shell=True, check=True)",), 0.8),
    _r("python.lang.security.audit.dangerous-subprocess-use-audit.dangerous-subprocess-use-audit",
       "dangerous-subprocess-use-audit", "subprocess call with a non-literal command", (78,), "error", "ERROR",
       None, "LOW", PYTHON, ("subprocess.check_output([TOOL, {v}])",), 1.2),
    _r("python.lang.security.deserialization.pickle.avoid-pickle", "avoid-pickle", "pickle used for data",
       (502,), "warning", "WARNING", None, "LOW", PYTHON, ("data = pickle.load({v})",), 0.8),
    _r("python.lang.security.audit.formatted-sql-query.formatted-sql-query", "formatted-sql-query",
       "SQL query built with string formatting", (89,), "warning", "WARNING", None, "LOW", PYTHON,
       ('cur.execute(f"DELETE FROM jobs WHERE owner = {{v}}")',), 1.0),
    _r("python.sqlalchemy.security.sqlalchemy-execute-raw-query.sqlalchemy-execute-raw-query",
       "sqlalchemy-execute-raw-query", "Raw SQL string passed to execute()", (89,), "error", "ERROR", None, "LOW",
       PYTHON, ('session.execute("SELECT * FROM users WHERE name = \'" + {v} + "\'")',), 0.9),
    _r("python.flask.security.audit.debug-enabled.debug-enabled", "debug-enabled", "Flask debug mode enabled",
       (489,), "warning", "WARNING", None, "HIGH", PYTHON, ("app.run(host=HOST, debug={v})",), 0.3),
    _r("python.requests.security.disabled-cert-validation.disabled-cert-validation", "disabled-cert-validation",
       "TLS certificate validation disabled", (295,), "error", "ERROR", None, "LOW", PYTHON,
       ("requests.post({v}, json=payload, verify=False)",), 0.7),
    _r("python.lang.security.insecure-hash-algorithms.insecure-hash-algorithm-md5", "insecure-hash-algorithm-md5",
       "MD5 used", (327,), "warning", "WARNING", None, "MEDIUM", PYTHON, ("h = hashlib.md5({v})",), 0.9),
    _r("python.jwt.security.unverified-jwt-decode.unverified-jwt-decode", "unverified-jwt-decode",
       "JWT decoded without signature check", (287,), "error", "ERROR", None, "MEDIUM", PYTHON,
       ('claims = jwt.decode({v}, options={"verify_signature": False})',), 0.3),
    _r("python.lang.security.audit.insecure-transport.requests.request-with-http.request-with-http",
       "request-with-http", "Plain HTTP request", (319,), "note", "INFO", None, "MEDIUM", PYTHON,
       ('requests.get("http://" + {v})',), 1.0),
    _r("javascript.express.security.audit.xss.direct-response-write.direct-response-write",
       "direct-response-write", "User input written to the response", (79,), "warning", "WARNING", None, "LOW",
       JAVASCRIPT, ("res.write({v});",), 1.0),
    _r("javascript.lang.security.audit.path-traversal.path-join-resolve-traversal.path-join-resolve-traversal",
       "path-join-resolve-traversal", "path.join with user input", (22,), "warning", "WARNING", None, "LOW",
       JAVASCRIPT, ("const file = path.join(BASE, {v});",), 1.2),
    _r("javascript.browser.security.insecure-document-method.insecure-document-method", "insecure-document-method",
       "innerHTML/document.write with dynamic content", (79,), "error", "ERROR", None, "LOW", JAVASCRIPT,
       ("container.innerHTML = {v};",), 1.0),
    _r("javascript.lang.security.detect-child-process.detect-child-process", "detect-child-process",
       "child_process called with a non-literal", (78,), "error", "ERROR", None, "LOW", JAVASCRIPT,
       ("child_process.exec({v});",), 0.6),
    _r("javascript.jsonwebtoken.security.jwt-hardcode.hardcoded-jwt-secret", "hardcoded-jwt-secret",
       "Hard-coded JWT secret", (798,), "warning", "WARNING", None, "HIGH", JAVASCRIPT,
       ("jwt.sign(payload, 'changeme-{v}');",), 0.3),
    _r("javascript.lang.security.audit.unsafe-formatstring.unsafe-formatstring", "unsafe-formatstring",
       "Non-literal format string", (134,), "note", "INFO", None, "LOW", JAVASCRIPT,
       ("console.log(`%s: ` + {v}, msg);",), 1.1),
    _r("javascript.express.security.audit.express-open-redirect.express-open-redirect", "express-open-redirect",
       "Redirect target taken from the request", (601,), "warning", "WARNING", None, "HIGH", JAVASCRIPT,
       ("return res.redirect(req.query.{v});",), 0.6),
    _r("javascript.lang.security.audit.detect-non-literal-regexp.detect-non-literal-regexp",
       "detect-non-literal-regexp", "RegExp built from a non-literal", (1333,), "warning", "WARNING", None, "LOW",
       JAVASCRIPT, ("const rx = new RegExp(`^${{v}}`);",), 0.9),
)

# --- Bandit (test id, test name, default issue_severity / issue_confidence, CWE) -----------------

BANDIT: tuple[RuleSpec, ...] = (
    _r("B101", "assert_used", "assert statement used", (703,), "note", "LOW", None, "HIGH", PYTHON,
       ("assert {v} is not None", "assert {v}.status_code == 200"), 6.0),
    _r("B102", "exec_used", "exec() used", (78,), "warning", "MEDIUM", None, "HIGH", PYTHON,
       ("exec({v})",), 0.3),
    _r("B103", "set_bad_file_permissions", "Permissive file mode", (732,), "warning", "MEDIUM", None, "HIGH",
       PYTHON, ("os.chmod({v}, 0o777)",), 0.3),
    _r("B104", "hardcoded_bind_all_interfaces", "Binding to all interfaces", (605,), "warning", "MEDIUM", None,
       "MEDIUM", PYTHON, ('{v} = "0.0.0.0"',), 0.5),
    _r("B105", "hardcoded_password_string", "Possible hard-coded password", (259,), "note", "LOW", None,
       "MEDIUM", PYTHON, ('{v} = "s3cr3t-default"',), 1.2),
    _r("B106", "hardcoded_password_funcarg", "Possible hard-coded password argument", (259,), "note", "LOW",
       None, "MEDIUM", PYTHON, ('client = Client(user=USER, password="{v}")',), 0.6),
    _r("B108", "hardcoded_tmp_directory", "Hard-coded temporary directory", (377,), "warning", "MEDIUM", None,
       "MEDIUM", PYTHON, ('{v} = "/tmp/export.csv"',), 0.8),
    _r("B110", "try_except_pass", "except: pass", (703,), "note", "LOW", None, "HIGH", PYTHON,
       ("except Exception:  # {v}",), 1.5),
    _r("B113", "request_without_timeout", "HTTP request without a timeout", (400,), "warning", "MEDIUM", None,
       "LOW", PYTHON, ("resp = requests.get({v})",), 1.6),
    _r("B201", "flask_debug_true", "Flask run with debug=True", (94,), "error", "HIGH", None, "MEDIUM", PYTHON,
       ("app.run(debug=True, port={v})",), 0.2),
    _r("B301", "pickle", "pickle deserialization", (502,), "warning", "MEDIUM", None, "HIGH", PYTHON,
       ("state = pickle.loads({v})",), 0.5),
    _r("B303", "md5", "MD5 hash", (327,), "warning", "MEDIUM", None, "HIGH", PYTHON,
       ("checksum = hashlib.md5({v}).hexdigest()",), 0.4),
    _r("B311", "random", "Pseudo-random generator used", (330,), "note", "LOW", None, "HIGH", PYTHON,
       ("{v} = random.randint(0, 999999)",), 1.6),
    _r("B324", "hashlib", "Weak hash without usedforsecurity=False", (327,), "error", "HIGH", None, "HIGH",
       PYTHON, ("key = hashlib.sha1({v}).hexdigest()",), 0.6),
    _r("B403", "import_pickle", "pickle imported", (502,), "note", "LOW", None, "HIGH", PYTHON,
       ("import pickle  # {v}",), 0.7),
    _r("B404", "import_subprocess", "subprocess imported", (78,), "note", "LOW", None, "HIGH", PYTHON,
       ("import subprocess  # {v}",), 1.5),
    _r("B501", "request_with_no_cert_validation", "TLS verification disabled", (295,), "error", "HIGH", None,
       "HIGH", PYTHON, ("requests.get({v}, verify=False)",), 0.4),
    _r("B506", "yaml_load", "yaml.load without a safe loader", (20,), "warning", "MEDIUM", None, "HIGH", PYTHON,
       ("config = yaml.load({v})",), 0.4),
    _r("B602", "subprocess_popen_with_shell_equals_true", "subprocess with shell=True", (78,), "error", "HIGH",
       None, "HIGH", PYTHON, ("subprocess.Popen({v}, shell=True)",), 0.5),
    _r("B603", "subprocess_without_shell_equals_true", "subprocess call: check for untrusted input", (78,),
       "note", "LOW", None, "HIGH", PYTHON, ("subprocess.run([BIN, {v}], check=True)",), 1.8),
    _r("B607", "start_process_with_partial_path", "Process started with a partial path", (78,), "note", "LOW",
       None, "HIGH", PYTHON, ('subprocess.run(["git", "rev-parse", {v}])',), 1.0),
    _r("B608", "hardcoded_sql_expressions", "SQL built from strings", (89,), "warning", "MEDIUM", None, "LOW",
       PYTHON, ('query = "SELECT id FROM accounts WHERE email = \'%s\'" % {v}',), 1.0),
    _r("B701", "jinja2_autoescape_false", "Jinja2 autoescape disabled", (94,), "error", "HIGH", None, "HIGH",
       PYTHON, ("env = Environment(loader={v}, autoescape=False)",), 0.2),
)

# --- gitleaks (default config rule ids) ----------------------------------------------------------

GITLEAKS: tuple[RuleSpec, ...] = tuple(
    _r(rule_id, rule_id, title, (), "error", None, None, None, ANY, ("REDACTED",), weight)
    for rule_id, title, weight in (
        ("generic-api-key", "Generic API key", 4.0),
        ("aws-access-token", "AWS access key id", 1.0),
        ("github-pat", "GitHub personal access token", 1.0),
        ("private-key", "Private key", 0.8),
        ("slack-webhook-url", "Slack webhook URL", 0.6),
        ("stripe-access-token", "Stripe access token", 0.5),
        ("gcp-api-key", "GCP API key", 0.5),
        ("jwt", "JSON Web Token", 0.8),
        ("npm-access-token", "npm access token", 0.4),
        ("sendgrid-api-token", "SendGrid API token", 0.3),
    )
)

# --- Checkov (check ids; open-source Checkov writes no severity: level error on every result) ------

CHECKOV: tuple[RuleSpec, ...] = tuple(
    _r(rule_id, rule_id, title, (), "error", None, None, None, TERRAFORM, (snippet,), weight)
    for rule_id, title, snippet, weight in (
        ("CKV_AWS_18", "S3 bucket has no access logging", 'resource "aws_s3_bucket" "{v}" {', 1.5),
        ("CKV_AWS_19", "S3 bucket has no default encryption", 'resource "aws_s3_bucket" "{v}" {', 1.0),
        ("CKV_AWS_20", "S3 bucket ACL allows public read", 'resource "aws_s3_bucket_acl" "{v}" {', 0.4),
        ("CKV_AWS_21", "S3 bucket has no versioning", 'resource "aws_s3_bucket" "{v}" {', 1.2),
        ("CKV_AWS_144", "S3 bucket has no cross-region replication", 'resource "aws_s3_bucket" "{v}" {', 1.5),
        ("CKV_AWS_145", "S3 bucket not encrypted with a KMS key", 'resource "aws_s3_bucket" "{v}" {', 1.2),
        ("CKV2_AWS_6", "S3 bucket has no public access block", 'resource "aws_s3_bucket" "{v}" {', 1.0),
        ("CKV_AWS_23", "Security group rule has no description", 'resource "aws_security_group" "{v}" {', 1.3),
        ("CKV_AWS_24", "Security group allows SSH from 0.0.0.0/0", 'resource "aws_security_group" "{v}" {', 0.4),
        ("CKV_AWS_16", "RDS instance storage not encrypted", 'resource "aws_db_instance" "{v}" {', 0.4),
        ("CKV_AWS_17", "RDS instance publicly accessible", 'resource "aws_db_instance" "{v}" {', 0.2),
        ("CKV_AWS_79", "Instance metadata service v1 enabled", 'resource "aws_instance" "{v}" {', 0.8),
        ("CKV_AWS_8", "Launch configuration EBS not encrypted", 'resource "aws_launch_configuration" "{v}" {', 0.5),
        ("CKV_AWS_50", "Lambda function without X-Ray tracing", 'resource "aws_lambda_function" "{v}" {', 1.2),
        ("CKV_AWS_116", "Lambda function without a dead-letter queue", 'resource "aws_lambda_function" "{v}" {',
         1.2),
        ("CKV_AWS_117", "Lambda function not inside a VPC", 'resource "aws_lambda_function" "{v}" {', 1.0),
        ("CKV_AWS_173", "Lambda environment variables not encrypted", 'resource "aws_lambda_function" "{v}" {',
         0.6),
        ("CKV_AWS_119", "DynamoDB table not encrypted with a KMS key", 'resource "aws_dynamodb_table" "{v}" {', 0.5),
        ("CKV_DOCKER_2", "Dockerfile has no HEALTHCHECK", "FROM python:3.12-slim AS {v}", 0.6),
        ("CKV_DOCKER_3", "Container runs as root (no USER)", "FROM node:20-alpine AS {v}", 0.6),
    )
)

# Checkov's own severities exist only with a Prisma Cloud key; without one every failed check is
# written with level "error". The demo keeps that real default.

# --- Trivy advisories ------------------------------------------------------------------------------

TRIVY: tuple[Advisory, ...] = (
    # pip
    Advisory("CVE-2023-32681", "requests", "2.28.1", "2.31.0", "MEDIUM", "6.1", "pip", "Proxy-Authorization leak"),
    Advisory("CVE-2024-35195", "requests", "2.31.0", "2.32.0", "MEDIUM", "5.6", "pip", "verify=False sticks"),
    Advisory("CVE-2023-30861", "flask", "2.2.2", "2.2.5", "HIGH", "7.5", "pip", "Session cookie cached"),
    Advisory("CVE-2023-25577", "werkzeug", "2.2.2", "2.2.3", "HIGH", "7.5", "pip", "Multipart parsing DoS"),
    Advisory("CVE-2024-34069", "werkzeug", "2.2.3", "3.0.3", "HIGH", "7.5", "pip", "Debugger code execution"),
    Advisory("CVE-2022-40897", "setuptools", "65.5.0", "65.5.1", "MEDIUM", "5.9", "pip", "ReDoS in package_index"),
    Advisory("CVE-2024-6345", "setuptools", "65.5.1", "70.0.0", "HIGH", "8.8", "pip", "Code execution via URLs"),
    Advisory("CVE-2023-37920", "certifi", "2022.12.7", "2023.7.22", "CRITICAL", "9.8", "pip", "Untrusted root CA"),
    Advisory("CVE-2024-3651", "idna", "3.4", "3.7", "MEDIUM", "6.2", "pip", "DoS in encode()"),
    Advisory("CVE-2023-43804", "urllib3", "1.26.15", "1.26.17", "HIGH", "8.1", "pip", "Cookie kept on redirect"),
    Advisory("CVE-2023-45803", "urllib3", "1.26.17", "1.26.18", "MEDIUM", "4.2", "pip", "Body kept on 303"),
    Advisory("CVE-2024-37891", "urllib3", "1.26.18", "1.26.19", "MEDIUM", "4.4", "pip", "Proxy header leak"),
    Advisory("CVE-2024-1135", "gunicorn", "20.1.0", "22.0.0", "HIGH", "7.5", "pip", "Request smuggling"),
    Advisory("CVE-2023-49083", "cryptography", "41.0.5", "41.0.6", "HIGH", "7.5", "pip", "NULL dereference"),
    Advisory("CVE-2024-26130", "cryptography", "41.0.7", "42.0.4", "HIGH", "7.5", "pip", "PKCS12 NULL dereference"),
    Advisory("CVE-2022-29217", "pyjwt", "2.3.0", "2.4.0", "HIGH", "7.4", "pip", "Algorithm confusion"),
    Advisory("CVE-2024-22195", "jinja2", "3.1.2", "3.1.3", "MEDIUM", "5.4", "pip", "xmlattr XSS"),
    Advisory("CVE-2024-34064", "jinja2", "3.1.3", "3.1.4", "MEDIUM", "5.4", "pip", "xmlattr key XSS"),
    Advisory("CVE-2020-14343", "pyyaml", "5.3.1", "5.4", "CRITICAL", "9.8", "pip", "full_load code execution"),
    Advisory("CVE-2023-5752", "pip", "23.0", "23.3", "LOW", "3.3", "pip", "Mercurial config injection", 1.5),
    Advisory("CVE-2018-20225", "pip", "23.0", "", "HIGH", "7.8", "pip", "extra-index-url confusion", 1.5),
    Advisory("CVE-2022-42969", "py", "1.11.0", "", "MEDIUM", "5.3", "pip", "ReDoS in svn info", 1.5),
    # npm
    Advisory("CVE-2021-23337", "lodash", "4.17.20", "4.17.21", "HIGH", "7.2", "npm", "Command injection in template"),
    Advisory("CVE-2020-8203", "lodash", "4.17.15", "4.17.19", "HIGH", "7.4", "npm", "Prototype pollution"),
    Advisory("CVE-2022-24999", "qs", "6.9.6", "6.9.7", "HIGH", "7.5", "npm", "Prototype pollution"),
    Advisory("CVE-2022-25883", "semver", "7.3.8", "7.5.2", "HIGH", "7.5", "npm", "ReDoS"),
    Advisory("CVE-2023-26136", "tough-cookie", "4.1.2", "4.1.3", "MEDIUM", "6.5", "npm", "Prototype pollution"),
    Advisory("CVE-2024-4067", "micromatch", "4.0.5", "4.0.8", "MEDIUM", "5.3", "npm", "ReDoS"),
    Advisory("CVE-2024-37890", "ws", "8.13.0", "8.17.1", "HIGH", "7.5", "npm", "DoS with many headers"),
    Advisory("CVE-2022-46175", "json5", "2.2.1", "2.2.2", "HIGH", "7.1", "npm", "Prototype pollution in parse"),
    Advisory("CVE-2024-29041", "express", "4.18.2", "4.19.2", "MEDIUM", "6.1", "npm", "Open redirect"),
    Advisory("CVE-2023-44270", "postcss", "8.4.24", "8.4.31", "MEDIUM", "5.3", "npm", "Line return parsing"),
    Advisory("CVE-2021-3807", "ansi-regex", "5.0.0", "5.0.1", "HIGH", "7.5", "npm", "ReDoS"),
    Advisory("CVE-2022-0155", "follow-redirects", "1.14.6", "1.14.7", "MEDIUM", "6.5", "npm", "Cookie leak"),
    Advisory("CVE-2024-28849", "follow-redirects", "1.15.5", "1.15.6", "MEDIUM", "6.5", "npm", "Proxy auth leak"),
    Advisory("CVE-2023-45857", "axios", "1.5.1", "1.6.0", "MEDIUM", "6.5", "npm", "XSRF token leak"),
    Advisory("CVE-2024-39338", "axios", "1.7.3", "1.7.4", "HIGH", "7.5", "npm", "SSRF via relative URLs"),
    Advisory("CVE-2022-25881", "http-cache-semantics", "4.1.0", "4.1.1", "HIGH", "7.5", "npm", "ReDoS"),
    Advisory("CVE-2021-44906", "minimist", "1.2.5", "1.2.6", "CRITICAL", "9.8", "npm", "Prototype pollution"),
    Advisory("CVE-2022-37601", "loader-utils", "1.4.0", "1.4.1", "CRITICAL", "9.8", "npm", "Prototype pollution"),
    Advisory("CVE-2024-21538", "cross-spawn", "7.0.3", "7.0.5", "HIGH", "7.5", "npm", "ReDoS"),
    Advisory("CVE-2024-45296", "path-to-regexp", "0.1.7", "0.1.10", "HIGH", "7.5", "npm", "Backtracking regex"),
    Advisory("CVE-2023-28155", "request", "2.88.2", "", "MEDIUM", "6.1", "npm", "SSRF via redirect", 1.5),
    Advisory("CVE-2022-33987", "got", "9.6.0", "11.8.5", "MEDIUM", "5.3", "npm", "Redirect to UNIX socket"),
)

# fmt: on

LOCKFILES = {
    "pip": ("requirements.txt", "poetry.lock", "services/worker/requirements.txt", "tools/requirements-dev.txt"),
    "npm": ("package-lock.json", "frontend/package-lock.json", "services/gateway/package-lock.json"),
}

# Tool versions and fixed driver metadata written into the SARIF.
TOOL_VERSIONS = {
    "codeql": "2.19.3",
    "semgrep": "1.95.0",
    "bandit": "1.7.10",
    "trivy": "0.57.0",
    "gitleaks": "8.21.2",
    "checkov": "3.2.296",
}
