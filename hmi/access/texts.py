"""What the technician reads (pages and SMS replies): French first, English second."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "title": ("Acquittement d'alarme", "Alarm acknowledgement"),
    "since": ("depuis", "since"),
    "state.active": ("en cours", "active"),
    "state.cleared": ("revenue à la normale", "back to normal"),
    "acked_by": ("Acquittée par", "Acknowledged by"),
    "values": ("Valeurs en direct", "Live values"),
    "plant": ("Ce qu'a fait la chaufferie", "What the plant did"),
    "refresh": ("Rafraîchir", "Refresh"),
    "history": ("Historique", "History"),
    "pin": ("Code PIN", "PIN"),
    "or_login": ("ou identifiant et mot de passe", "or username and password"),
    "username": ("Identifiant", "Username"),
    "password": ("Mot de passe", "Password"),
    "sign_in": ("Valider", "Sign in"),
    "comment": ("Commentaire (facultatif)", "Comment (optional)"),
    "reset": ("Réarmer le défaut à distance", "Reset the fault remotely"),
    "ack": ("Acquitter", "Acknowledge"),
    "ack.done": ("Alarme acquittée", "Alarm acknowledged"),
    "ack.already": ("Alarme déjà acquittée", "Alarm already acknowledged"),
    "reset.done": ("Réarmement envoyé et relu", "Reset written and read back"),
    "reset.failed": ("Réarmement non confirmé", "Reset not confirmed"),
    "reset.refused": ("Réarmement à distance non autorisé", "Remote reset not allowed"),
    "deadline": ("Délai d'intervention", "Response deadline"),
    "arrived": ("Je suis sur place", "I am on site"),
    "arrival.done": ("Arrivée sur place enregistrée", "Arrival on site recorded"),
    "late": ("retard (jours)", "late (days)"),
    "on_time": ("dans les délais", "on time"),
    "oil.replacement": ("fioul en relève depuis", "oil in replacement since"),
    "oil.top_up": ("fioul en appoint depuis", "oil in top-up since"),
    "oil.stopped": ("fioul arrêté à", "oil stopped at"),
    "mode": ("mode", "mode"),
    "bad": ("valeur douteuse", "doubtful value"),
    # refusals
    "refused": ("Accès refusé", "Access refused"),
    "tampered": ("Ce lien n'est pas valide.", "This link is not valid."),
    "expired": ("Ce lien a expiré.", "This link has expired."),
    "reused": ("Ce lien a déjà servi.", "This link has already been used."),
    "other_alarm": (
        "Cette session a été ouverte pour une autre alarme : ouvrez le lien de cette alarme.",
        "This session was opened for another alarm: open this alarm's link.",
    ),
    "other_technician": (
        "Ce lien est destiné à un autre technicien.",
        "This link is meant for another technician.",
    ),
    "unknown_alarm": ("Cette alarme n'existe plus.", "This alarm no longer exists."),
    "wrong_credentials": (
        "Code ou mot de passe incorrect (après trop d'essais, l'accès est bloqué un moment).",
        "Wrong PIN or password (after too many attempts, access is locked for a while).",
    ),
    "locked": (
        "Trop d'essais : accès bloqué jusqu'à {until}.",
        "Too many attempts: access locked until {until}.",
    ),
    "disabled": ("Compte désactivé.", "Account disabled."),
    "role": (
        "Votre rôle ne permet pas d'acquitter cette alarme.",
        "Your role does not allow acknowledging this alarm.",
    ),
    "csrf": ("Formulaire expiré : rechargez la page.", "Form expired: reload the page."),
    "login_needed": ("Identifiez-vous d'abord.", "Please sign in first."),
    # interventions: phone calls, milestones, disputes, contract indices (docs/domain.md §4)
    "made_safe": ("Mise en sécurité faite", "Made safe"),
    "repaired": ("Fin de dépannage", "End of repair"),
    "milestone.done": ("Étape enregistrée", "Step recorded"),
    "iv.role": ("Votre rôle ne permet pas cette action.", "Your role does not allow this action."),
    "iv.no_open_intervention": (
        "Aucune intervention ouverte pour cet appel.",
        "No intervention open for this call.",
    ),
    "iv.already_recorded": ("Étape déjà enregistrée.", "Step already recorded."),
    "iv.unknown_alarm": ("Alarme inconnue.", "Unknown alarm."),
    "iv.bad_time": (
        "L'heure doit être aujourd'hui et pas dans le futur.",
        "The time must be today and not in the future.",
    ),
    "iv.missing_text": ("Indiquez qui a appelé qui, et pourquoi.", "Say who called whom, and why."),
    "iv.too_long": ("Texte trop long.", "Text too long."),
    "iv.reason_required": ("Le motif est obligatoire.", "A reason is required."),
    "iv.dispute_state": (
        "Impossible dans l'état actuel de la contestation.",
        "Not possible in the dispute's current state.",
    ),
    "iv.own_dispute": (
        "La contestation doit être tranchée par une autre personne.",
        "The dispute must be decided by someone else.",
    ),
    "iv.no_base_indices": (
        "Indices de base absents de la configuration (contract.base_indices).",
        "Base indices missing from the configuration (contract.base_indices).",
    ),
    "iv.bad_index": (
        "Indice refusé : chaque valeur doit être un nombre positif ({detail}).",
        "Index refused: each value must be a positive number ({detail}).",
    ),
    # HMI user administration and login
    "user.saved": ("Utilisateur enregistré.", "User saved."),
    "user.disabled": ("Utilisateur désactivé.", "User disabled."),
    "user.unknown": ("Utilisateur inconnu.", "Unknown user."),
    "user.password_needed": (
        "Mot de passe requis pour un nouvel utilisateur.",
        "A new user needs a password.",
    ),
    "user.not_admin": ("Réservé aux administrateurs.", "Administrators only."),
    "user.last_admin": ("Impossible : c'est le dernier administrateur.", "Not possible: last administrator."),
    # SMS replies (short, GSM-7 friendly)
    "sms.acked": ("Alarme {code} acquittee par {name}.", "Alarm {code} acknowledged by {name}."),
    "sms.already": ("Alarme {code} deja acquittee.", "Alarm {code} already acknowledged."),
    # refusals: one answer per sender per {minutes}, whatever follows (no guessing loop)
    "sms.unknown_code": (
        "Code inconnu. Plus de reponse pendant {minutes} min : utilisez le lien du SMS.",
        "Unknown code. No more answers for {minutes} min: use the link in the SMS.",
    ),
    "sms.ambiguous": ("Code ambigu : utilisez le lien du SMS.", "Ambiguous code: use the link in the SMS."),
    "sms.syntax": (
        "Repondez OK suivi du code, ex. OK 123456. Plus de reponse pendant {minutes} min.",
        "Reply OK and the code, e.g. OK 123456. No more answers for {minutes} min.",
    ),
    "sms.too_many": (
        "Trop d'essais : codes SMS refuses pendant {minutes} min. Utilisez le lien du SMS.",
        "Too many attempts: SMS codes refused for {minutes} min. Use the link in the SMS.",
    ),
    "sms.not_recipient": (
        "Vous n'etes pas d'astreinte pour {code}.",
        "You are not on call for {code}.",
    ),
}


def fr(key: str, **values: str) -> str:
    return TEXTS[key][0].format(**values)


def en(key: str, **values: str) -> str:
    return TEXTS[key][1].format(**values)


def both(key: str, sep: str = " / ", **values: str) -> str:
    """French then English: ``"Acquitter / Acknowledge"``."""
    return f"{fr(key, **values)}{sep}{en(key, **values)}"
