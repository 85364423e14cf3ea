"""`smartpay ssh serve`: the desk served over SSH, and nothing else.

    host_key      the server's host key, made on first run in the data directory (0600)
    desk_process  one desk per session: `smartpay ssh desk` in its own pty, started by ticket
    server        asyncssh: who may connect (keys, optional passwords through the core's
                  lock-out), what is refused (exec, sftp, forwarding), caps, idle timeout,
                  the audit trail, and a clean end on SIGTERM
    desk_entry    the child's side: redeem the ticket, open the desk logged in

Presentation layer: it calls the core's services (ssh_keys, auth, audit) and nothing below."""
