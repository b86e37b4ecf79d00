<?php
// Sends the client matrix's message with PHPMailer (Debian libphp-phpmailer), as WordPress's wp_mail does.
// argv[1]: JSON {host, port, auth, key, cafile, envelope_from, rcpt, message}.
//   auth: STARTTLS + AUTH with the API key as password; else no AUTH and the key in an X-Auth-APIKey
//   header (PHPMailer still starts TLS on its own when the server offers it: SMTPAutoTLS).
require '/usr/share/php/libphp-phpmailer/autoload.php';

use PHPMailer\PHPMailer\PHPMailer;
use PHPMailer\PHPMailer\SMTP;

$p = json_decode($argv[1], true);
$m = $p['message'];
$mail = new PHPMailer(true);
$mail->isSMTP();
$mail->Host = $p['host'];
$mail->Port = $p['port'];
$mail->Timeout = 20;
// The relay's self-signed certificate, trusted by file (it names 127.0.0.1).
$mail->SMTPOptions = ['ssl' => ['cafile' => $p['cafile'], 'verify_peer' => true, 'verify_peer_name' => true]];
if ($p['auth']) {
    $mail->SMTPSecure = PHPMailer::ENCRYPTION_STARTTLS;
    $mail->SMTPAuth = true;
    $mail->Username = 'app';
    $mail->Password = $p['key'];
} else {
    $mail->addCustomHeader('X-Auth-APIKey', $p['key']);
}
// The SMTP dialogue goes to stderr, which the test prints only when the send fails.
$mail->SMTPDebug = SMTP::DEBUG_SERVER;
$mail->Debugoutput = function ($line) { fwrite(STDERR, $line . "\n"); };
$mail->CharSet = PHPMailer::CHARSET_UTF8;
$mail->setFrom($p['envelope_from'], 'Shop');
$mail->addAddress($p['rcpt'], $m['toName']);
$mail->Subject = $m['subject'];
$mail->isHTML(true);
$mail->Body = $m['html'];
$mail->AltBody = $m['text'];
foreach ($m['headers'] as $name => $value) {
    $mail->addCustomHeader($name, $value);
}
$mail->send();
echo "sent\n";
