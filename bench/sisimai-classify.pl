#!/usr/bin/env perl
# The classification peer: Sisimai (Debian's libsisimai-perl, 4.25) over the same files as
# `bounced classify`, one JSON line per (file, recipient), like `bounced classify --format jsonl`.
#   perl bench/sisimai-classify.pl DIR... > out.jsonl
use strict;
use warnings;
use File::Find;
use JSON;
use Sisimai::Message;
use Sisimai::Data;

my $json = JSON->new->canonical(1);
my @files;
find({ wanted => sub { push @files, $File::Find::name if -f $_ && !/^\./ }, no_chdir => 0 }, @ARGV);
@files = sort @files;
binmode STDOUT;
for my $file (@files) {
    open(my $fh, '<:raw', $file) or do { print $json->encode({ file => $file, error => "cannot read" }), "\n"; next };
    local $/;
    my $raw = <$fh>;
    close $fh;
    my $mesg = eval { Sisimai::Message->new('data' => $raw) };
    if (!$mesg) {
        print $json->encode({ file => $file, recipient => undef }), "\n";
        next;
    }
    my $data = eval { Sisimai::Data->make('data' => $mesg, 'delivered' => 1, 'origin' => $file) } || [];
    if (!@$data) {
        print $json->encode({ file => $file, recipient => undef }), "\n";
        next;
    }
    for my $d (@$data) {
        print $json->encode({
            file => $file,
            recipient => $d->recipient->address,
            reason => $d->reason,
            status => $d->deliverystatus,
            softbounce => $d->softbounce + 0,
            smtpagent => $d->smtpagent,
        }), "\n";
    }
}
