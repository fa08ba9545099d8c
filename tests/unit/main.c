/* Runs every unit suite; check prints its summary line. */
#include <stdlib.h>
#include "unit.h"

int main(void)
{
    SRunner *sr = srunner_create(proto_suite());
    int failed;

    srunner_add_suite(sr, settings_suite());
    srunner_add_suite(sr, runtime_suite());
    srunner_add_suite(sr, peers_suite());
    srunner_add_suite(sr, policy_suite());
    srunner_add_suite(sr, peer_uid_suite());
    srunner_add_suite(sr, user_reg_suite());
    srunner_add_suite(sr, service_suite());
    srunner_add_suite(sr, tls_suite());
    srunner_add_suite(sr, vici_suite());
    srunner_add_suite(sr, vici_client_suite());
    srunner_add_suite(sr, xfrm_suite());
    srunner_add_suite(sr, sha256_suite());
    srunner_add_suite(sr, peer_name_suite());
    srunner_add_suite(sr, identity_suite());
    srunner_add_suite(sr, trust_anchors_suite());
    srunner_add_suite(sr, tls_trust_suite());
    srunner_add_suite(sr, discovery_suite());
    srunner_add_suite(sr, secsockctl_pki_suite());
    srunner_add_suite(sr, secured_list_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
