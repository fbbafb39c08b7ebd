/*
 * The helper scripts served at `/s` (bash) and `/pwsh` (PowerShell). Both ask for the NDJSON stream
 * of `POST /v1/deploy`, print each step as it happens and exit 0 only when the result says `ok`.
 * Exit codes, the same in both: 0 deployed · 1 the deploy failed or was rolled back · 2 no token ·
 * 3 the request was refused (4xx/5xx) · 4 no connection, timed out, or the answer ended early.
 */
import { DEPLOY_TOKEN_VARIABLE, deployUrl, shellQuote } from '../snippets.ts'

export interface ScriptOptions {
  /** The instance's public URL (`URL`). */
  url: string
  /** How long the whole request may take (`SCRIPT_TIMEOUT`). */
  timeoutSeconds: number
}

function checkTimeout(seconds: number): number {
  // Interpolated into code: anything but a positive whole number would be a hole.
  if (!Number.isSafeInteger(seconds) || seconds < 1) throw new RangeError(`the script timeout must be a whole number of seconds ≥ 1, got ${seconds}`)
  return seconds
}

function base(url: string): string {
  return url.replace(/\/+$/, '')
}

/**
 * The bash helper. Needs only bash (3.2 or newer, so macOS's own works) and curl; no jq.
 * @example curl -fsS https://deploy.example.com/s | bash -s "$DEPLOY_TOKEN"
 */
export function bashScript(options: ScriptOptions): string {
  const timeout = checkTimeout(options.timeoutSeconds)
  const url = base(options.url)
  return `#!/usr/bin/env bash
# dockhook deploy helper for ${url.replace(/[\r\n]/g, '')}
#
#   curl -fsS ${shellQuote(`${url}/s`)} | bash -s "$${DEPLOY_TOKEN_VARIABLE}"
#
# The token is the first argument, or else the ${DEPLOY_TOKEN_VARIABLE} environment variable.
# Prints each step as it happens. Exit codes: 0 deployed, 1 the deploy failed or was rolled back,
# 2 no token, 3 the request was refused, 4 no connection, timed out, or the answer ended early.

# Everything runs from one function called on the last line: a download cut short runs nothing.
dockhook_deploy() {
  local url=${shellQuote(deployUrl(url))}
  local timeout=${timeout}
  local token="\${1:-\${${DEPLOY_TOKEN_VARIABLE}:-}}"
  token="\${token//[$' \\t\\r\\n']/}"

  local red='' green='' yellow='' reset='' tty=''
  if [[ -t 1 ]]; then
    tty=1
    if [[ -z "\${NO_COLOR:-}" ]]; then red=$'\\e[31m' green=$'\\e[32m' yellow=$'\\e[33m' reset=$'\\e[0m'; fi
  fi

  if [[ -z "$token" ]]; then
    echo "\${red}dockhook: no deploy token: pass it as the first argument or set ${DEPLOY_TOKEN_VARIABLE}\${reset}" >&2
    return 2
  fi

  echo "Deploying through $url (timeout $timeout s)"

  local status_mark='@dockhook-http-status' exit_mark='@dockhook-curl-exit' nl=$'\\n'
  local line http_status='' curl_exit='' body='' progress=''
  local result='' result_ok='' result_status='' result_deployment=''
  local j_type j_time j_message j_target j_status j_level j_ok j_deployment j_error
  while IFS= read -r line || [[ -n "$line" ]]; do
    case "$line" in
      "$status_mark "*) http_status=\${line#"$status_mark "}; continue ;;
      "$exit_mark "*) curl_exit=\${line#"$exit_mark "}; continue ;;
      '') continue ;;
    esac
    # Pulls report progress many times a second; off a terminal, skip those lines before parsing.
    # The raw text '"type":"progress"' cannot occur inside a JSON string, where quotes are escaped.
    if [[ -z "$tty" && "$line" == *'"type":"progress"'* ]]; then continue; fi
    if ! dockhook_json_fields "$line" || [[ -z "$j_type" ]]; then
      # Not an event: an error answer, or a proxy's page. Kept (bounded) for the failure message.
      [[ \${#body} -lt 4000 ]] && body+="$line$nl"
      continue
    fi
    if [[ -n "$progress" && "$j_type" != progress ]]; then printf '\\r\\e[K'; progress=''; fi
    case "$j_type" in
      log)
        local prefix=''
        if [[ -n "$j_target" && "$j_message" != *"$j_target"* ]]; then prefix="$j_target: "; fi
        case "$j_level" in
          error) echo "\${red}$j_time - $prefix$j_message\${reset}" ;;
          warn) echo "\${yellow}$j_time - $prefix$j_message\${reset}" ;;
          *) echo "$j_time - $prefix$j_message" ;;
        esac
        ;;
      target)
        echo "$j_time - $j_target: $j_status\${j_message:+ - $j_message}"
        ;;
      progress)
        # Pull progress is one line rewritten in place on a terminal; in CI logs it would be noise.
        if [[ -n "$tty" ]]; then printf '\\r\\e[K%s' "$j_target: \${j_message:0:100}"; progress=1; fi
        ;;
      result)
        result=1 result_ok="$j_ok" result_status="$j_status" result_deployment="$j_deployment"
        ;;
    esac
  done < <(
    curl -sS -N --max-time "$timeout" -X POST "$url" \\
      -H @- -H 'Accept: application/x-ndjson' \\
      -w "\\n$status_mark %{http_code}\\n" <<<"X-Deploy-Token: $token"
    echo "$exit_mark $?"
  )
  if [[ -n "$progress" ]]; then printf '\\r\\e[K'; fi

  if [[ -n "$result" ]]; then
    if [[ "$result_ok" == true ]]; then
      echo "\${green}Deployment $result_deployment succeeded\${reset}"
      return 0
    fi
    echo "\${red}Deployment $result_deployment failed (status: \${result_status:-unknown})\${reset}" >&2
    return 1
  fi
  if [[ "$http_status" =~ ^[1-9][0-9][0-9]$ && ( "$http_status" -lt 200 || "$http_status" -ge 300 ) ]]; then
    local reason="$body"
    if dockhook_json_fields "\${body%%"$nl"*}" && [[ -n "$j_message" ]]; then reason="$j_message\${j_error:+ ($j_error)}"; fi
    echo "\${red}dockhook refused the deploy: HTTP $http_status: \${reason%"$nl"}\${reset}" >&2
    return 3
  fi
  if [[ "$curl_exit" == 28 ]]; then
    echo "\${red}dockhook: no result within $timeout s; the deploy may still be running on the host\${reset}" >&2
  elif [[ -z "$http_status" || "$http_status" == 000 ]]; then
    echo "\${red}dockhook: could not reach $url (curl exit code \${curl_exit:-unknown})\${reset}" >&2
  else
    echo "\${red}dockhook: the answer ended without the deployment's result (HTTP $http_status, curl exit code \${curl_exit:-unknown}); the deploy may still be running on the host\${reset}" >&2
    [[ -n "$body" ]] && printf '%s' "$body" >&2
  fi
  return 4
}

# Reads the top-level members of the JSON object $1 that the events use into j_<name>, strings
# decoded, other scalars as written. Nested values are skipped. Fails when $1 is not an object.
dockhook_json_fields() {
  j_type='' j_time='' j_message='' j_target='' j_status='' j_level='' j_ok='' j_deployment='' j_error=''
  local rest="$1" name value depth
  # Kept in variables: the one way bash 3.2 and 5 read a regex alike.
  local open='^[[:space:]]*[{](.*)$'
  local member='^[[:space:]]*"(([^"\\\\]|\\\\.)*)"[[:space:]]*:[[:space:]]*(.*)$'
  local string='^"(([^"\\\\]|\\\\.)*)"(.*)$'
  local scalar='^(true|false|null|-?[0-9][-+.eE0-9]*)(.*)$'
  local plain='^[^]["{}]+(.*)$'
  local next='^[[:space:]]*,(.*)$'
  local close='^[[:space:]]*[}]'
  [[ "$rest" =~ $open ]] || return 1
  rest="\${BASH_REMATCH[1]}"
  [[ "$rest" =~ $close ]] && return 0
  while [[ "$rest" =~ $member ]]; do
    name="\${BASH_REMATCH[1]}" rest="\${BASH_REMATCH[3]}"
    if [[ "$rest" =~ $string ]]; then
      rest="\${BASH_REMATCH[3]}"
      dockhook_json_unescape "\${BASH_REMATCH[1]}"
      value="$REPLY"
    elif [[ "$rest" =~ $scalar ]]; then
      value="\${BASH_REMATCH[1]}" rest="\${BASH_REMATCH[2]}"
    else
      depth=0 value=''
      while [[ -n "$rest" ]]; do
        case "\${rest:0:1}" in
          '{' | '[') depth=$((depth + 1)) rest="\${rest:1}" ;;
          '}' | ']') depth=$((depth - 1)) rest="\${rest:1}" ;;
          '"') [[ "$rest" =~ $string ]] || return 1; rest="\${BASH_REMATCH[3]}" ;;
          *) [[ "$rest" =~ $plain ]] || return 1; rest="\${BASH_REMATCH[1]}" ;;
        esac
        [[ $depth -le 0 ]] && break
      done
      [[ $depth -eq 0 ]] || return 1
    fi
    case "$name" in
      type | time | message | target | status | level | ok | deployment | error) printf -v "j_$name" '%s' "$value" ;;
    esac
    if [[ "$rest" =~ $next ]]; then rest="\${BASH_REMATCH[1]}"; else break; fi
  done
  [[ "$rest" =~ $close ]]
}

# Decodes the body of a JSON string (RFC 8259 §7) into REPLY. Control characters other than
# newline and tab become spaces, so a message cannot drive the terminal.
dockhook_json_unescape() {
  local s="$1" out='' c hex ch
  while [[ "$s" == *\\\\* ]]; do
    out+=\${s%%\\\\*}
    s=\${s#*\\\\}
    c="\${s:0:1}" s="\${s:1}"
    case "$c" in
      n) out+=$'\\n' ;;
      t) out+=$'\\t' ;;
      r | b | f) out+=' ' ;;
      u)
        hex="\${s:0:4}" s="\${s:4}"
        if [[ "$hex" =~ ^[0-9A-Fa-f]{4}$ ]]; then
          if (( 16#$hex < 32 || (16#$hex >= 127 && 16#$hex < 160) )); then ch=' '; else printf -v ch "\\\\u$hex"; fi
          out+="$ch"
        fi
        ;;
      *) out+="$c" ;;
    esac
  done
  REPLY="$out$s"
}

dockhook_deploy "$@"
`
}

/** A PowerShell single-quoted string literal. */
function psQuote(value: string): string {
  return `'${value.replace(/['‘’‚‛]/g, (quote) => quote + quote)}'`
}

/**
 * The PowerShell helper (Windows PowerShell 5.1 and PowerShell 7).
 * @example iex "& { $(irm 'https://deploy.example.com/pwsh') } $env:DEPLOY_TOKEN"
 */
export function powershellScript(options: ScriptOptions): string {
  const timeout = checkTimeout(options.timeoutSeconds)
  const url = base(options.url)
  return `# dockhook deploy helper for ${url.replace(/[\r\n]/g, '')}
#
#   iex "& { $(irm ${psQuote(`${url}/pwsh`)}) } $env:${DEPLOY_TOKEN_VARIABLE}"
#
# The token is the first argument, or else the ${DEPLOY_TOKEN_VARIABLE} environment variable.
# Prints each step as it happens. Exit codes: 0 deployed, 1 the deploy failed or was rolled back,
# 2 no token, 3 the request was refused, 4 no connection, timed out, or the answer ended early.
param([string]$Token = $env:${DEPLOY_TOKEN_VARIABLE})

$url = ${psQuote(deployUrl(url))}
$timeoutSeconds = ${timeout}

function Write-Failure([string]$Text) { Write-Host -ForegroundColor Red $Text }

function Get-Reason($Exception) {
  # .NET wraps the interesting failure (refused, DNS, TLS) in several layers.
  while ($Exception.InnerException) { $Exception = $Exception.InnerException }
  $Exception.Message
}

# ConvertFrom-Json in PowerShell 7 turns ISO times into local DateTime values; print them as sent.
function Format-Time($Value) {
  if ($Value -is [DateTime]) { return $Value.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ss.fffZ') }
  "$Value"
}

if ([string]::IsNullOrWhiteSpace($Token)) {
  Write-Failure 'dockhook: no deploy token: pass it as the first argument or set ${DEPLOY_TOKEN_VARIABLE}'
  exit 2
}
$Token = $Token.Trim()

# Windows PowerShell 5.1 neither loads HttpClient nor offers TLS 1.2 by default.
Add-Type -AssemblyName System.Net.Http
try { [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12 } catch { }

$deadline = [DateTime]::UtcNow.AddSeconds($timeoutSeconds)
# Each wait gets what is left of one deadline: HttpClient.Timeout would not cover reading the stream.
function Wait-Task($Task) {
  $left = [int]($deadline - [DateTime]::UtcNow).TotalMilliseconds
  if ($left -le 0 -or -not $Task.Wait($left)) { throw [TimeoutException]::new("no result within $timeoutSeconds s; the deploy may still be running on the host") }
  $Task.Result
}

Write-Host "Deploying through $url (timeout $timeoutSeconds s)"

$client = New-Object System.Net.Http.HttpClient
$client.Timeout = [Threading.Timeout]::InfiniteTimeSpan
$request = New-Object System.Net.Http.HttpRequestMessage([System.Net.Http.HttpMethod]::Post, $url)
$null = $request.Headers.TryAddWithoutValidation('X-Deploy-Token', $Token)
$null = $request.Headers.TryAddWithoutValidation('Accept', 'application/x-ndjson')

try {
  $response = Wait-Task $client.SendAsync($request, [System.Net.Http.HttpCompletionOption]::ResponseHeadersRead)
} catch {
  Write-Failure "dockhook: the request to $url failed: $(Get-Reason $_.Exception)"
  exit 4
}

$status = [int]$response.StatusCode
if ($status -lt 200 -or $status -ge 300) {
  $reason = ''
  try { $reason = (Wait-Task $response.Content.ReadAsStringAsync()).Trim() } catch { }
  try {
    $answer = $reason | ConvertFrom-Json
    if ($answer.message) { $reason = "$($answer.message) ($($answer.error))" }
  } catch { }
  Write-Failure "dockhook refused the deploy: HTTP $($status): $reason"
  exit 3
}

$result = $null
try {
  $reader = New-Object System.IO.StreamReader (Wait-Task $response.Content.ReadAsStreamAsync())
  while ($null -ne ($line = Wait-Task $reader.ReadLineAsync())) {
    if (-not $line.Trim()) { continue }
    try { $item = $line | ConvertFrom-Json } catch { Write-Host $line; continue }
    $time = Format-Time $item.time
    switch ($item.type) {
      'log' {
        $prefix = ''
        if ($item.target -and -not "$($item.message)".Contains($item.target)) { $prefix = "$($item.target): " }
        $text = "$time - $prefix$($item.message)"
        if ($item.level -eq 'error') { Write-Host -ForegroundColor Red $text }
        elseif ($item.level -eq 'warn') { Write-Host -ForegroundColor Yellow $text }
        else { Write-Host $text }
      }
      'target' {
        $text = "$time - $($item.target): $($item.status)"
        if ($item.message) { $text += " - $($item.message)" }
        Write-Host $text
      }
      'result' { $result = $item }
    }
  }
} catch {
  Write-Failure "dockhook: $(Get-Reason $_.Exception)"
  exit 4
} finally {
  $client.Dispose()
}

if ($null -eq $result) {
  Write-Failure "dockhook: the answer ended without a result (HTTP $status)"
  exit 4
}
if ($result.ok -eq $true) {
  Write-Host -ForegroundColor Green "Deployment $($result.deployment) succeeded"
  exit 0
}
Write-Failure "Deployment $($result.deployment) failed (status: $($result.status))"
exit 1
`
}
